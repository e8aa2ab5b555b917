/*
 * floor.c: the floor of the benchmarks. It makes, in C, exactly the DRMAA
 * calls that the Python contenders make for each workload, so its times are
 * what libdrmaa and the scheduler cost with no binding at all, and its call
 * counts are the minimum the C API needs for each operation.
 *
 * benchmarks/run.py compiles it at benchmark time against drmaa.h and
 * libdrmaa.so; it speaks the same command line and output (JSON) as
 * benchmarks/worker.py:
 *
 *   floor batch TAG W1_CYCLES W2_POLLS W3_TASKS W4_JOBS IDS_FILE
 *   floor jobs TAG TEMPLATE_CYCLES JOB_CYCLES WAIT_JOBS IDS_FILE
 *       then reads "wait K" and "quit" lines on standard input.
 */
#define _GNU_SOURCE
#include <drmaa.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Grid Engine writes a NUL one byte past the length it is given: pass size - 1. */
#define LEN(buffer) (sizeof(buffer) - 1)

static char diag[DRMAA_ERROR_STRING_BUFFER + 1];
#define DIAG diag, LEN(diag)

/* Every DRMAA call goes through D() (or V() for the void ones), which counts it. */
static long long n_calls;
#define D(call) (n_calls++, (call))
#define V(call) do { n_calls++; call; } while (0)

static const char *tag;
static FILE *ids_file;

static void die(const char *what, int rc)
{
    fprintf(stderr, "floor: %s failed: code %d: %s\n", what, rc, diag);
    exit(2);
}

#define CHECK(what, call)                 \
    do {                                  \
        int rc_ = D(call);                \
        if (rc_ != DRMAA_ERRNO_SUCCESS)   \
            die(what, rc_);               \
    } while (0)

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static void record_id(const char *id)
{
    fprintf(ids_file, "%s\n", id);
}

/* --- JSON output ------------------------------------------------------- */

static void print_times(const char *key, const long long *times, int n)
{
    printf("\"%s\": [", key);
    for (int i = 0; i < n; i++)
        printf(i ? ", %lld" : "%lld", times[i]);
    printf("]");
}

/* --- the values every contender uses --------------------------------- */

static const char *ARGS5[] = {"alpha", "bravo", "charlie", "delta", "echo", NULL};
static const char *ENV5[] = {"BENCH_A=1", "BENCH_B=two", "BENCH_C=/tmp/three", "BENCH_D=4 4", "BENCH_E=", NULL};
static const char *SLEEP_ARGS[] = {"3600", NULL};

/* Workload 1: allocate, set six scalars and two vectors, read three back, delete. */
static void template_cycle(void)
{
    drmaa_job_template_t *jt = NULL;
    drmaa_attr_values_t *values = NULL;
    char value[DRMAA_ATTR_BUFFER + 1];
    int rc;

    CHECK("allocate_job_template", drmaa_allocate_job_template(&jt, DIAG));
    CHECK("set remote_command", drmaa_set_attribute(jt, DRMAA_REMOTE_COMMAND, "/bin/sleep", DIAG));
    CHECK("set job_name", drmaa_set_attribute(jt, DRMAA_JOB_NAME, "bench", DIAG));
    CHECK("set wd", drmaa_set_attribute(jt, DRMAA_WD, "/tmp", DIAG));
    CHECK("set output_path", drmaa_set_attribute(jt, DRMAA_OUTPUT_PATH, ":/dev/null", DIAG));
    CHECK("set join_files", drmaa_set_attribute(jt, DRMAA_JOIN_FILES, "y", DIAG));
    CHECK("set js_state", drmaa_set_attribute(jt, DRMAA_JS_STATE, DRMAA_SUBMISSION_STATE_HOLD, DIAG));
    CHECK("set v_argv", drmaa_set_vector_attribute(jt, DRMAA_V_ARGV, ARGS5, DIAG));
    CHECK("set v_env", drmaa_set_vector_attribute(jt, DRMAA_V_ENV, ENV5, DIAG));
    CHECK("get remote_command", drmaa_get_attribute(jt, DRMAA_REMOTE_COMMAND, value, LEN(value), DIAG));
    CHECK("get job_name", drmaa_get_attribute(jt, DRMAA_JOB_NAME, value, LEN(value), DIAG));
    CHECK("get v_argv", drmaa_get_vector_attribute(jt, DRMAA_V_ARGV, &values, DIAG));
    while ((rc = D(drmaa_get_next_attr_value(values, value, LEN(value)))) == DRMAA_ERRNO_SUCCESS)
        ;
    if (rc != DRMAA_ERRNO_NO_MORE_ELEMENTS)
        die("get_next_attr_value", rc);
    V(drmaa_release_attr_values(values));
    CHECK("delete_job_template", drmaa_delete_job_template(jt, DIAG));
}

/* A template for jobs that are submitted: held ones sleep (and never run), others run /bin/true. */
static drmaa_job_template_t *job_template(int hold)
{
    drmaa_job_template_t *jt = NULL;
    CHECK("allocate_job_template", drmaa_allocate_job_template(&jt, DIAG));
    CHECK("set remote_command",
          drmaa_set_attribute(jt, DRMAA_REMOTE_COMMAND, hold ? "/bin/sleep" : "/bin/true", DIAG));
    if (hold) {
        CHECK("set v_argv", drmaa_set_vector_attribute(jt, DRMAA_V_ARGV, SLEEP_ARGS, DIAG));
        CHECK("set js_state", drmaa_set_attribute(jt, DRMAA_JS_STATE, DRMAA_SUBMISSION_STATE_HOLD, DIAG));
    }
    CHECK("set job_name", drmaa_set_attribute(jt, DRMAA_JOB_NAME, tag, DIAG));
    CHECK("set wd", drmaa_set_attribute(jt, DRMAA_WD, "/tmp", DIAG));
    CHECK("set output_path", drmaa_set_attribute(jt, DRMAA_OUTPUT_PATH, ":/dev/null", DIAG));
    CHECK("set join_files", drmaa_set_attribute(jt, DRMAA_JOIN_FILES, "y", DIAG));
    return jt;
}

static void run_job(drmaa_job_template_t *jt, char *job_id, size_t size)
{
    CHECK("run_job", drmaa_run_job(job_id, size - 1, jt, DIAG));
}

/* What JobInfo holds: the flags and exit status or signal, and every name=value of the usage. */
struct job_info {
    char job_id[DRMAA_JOBNAME_BUFFER + 1];
    int exited, exit_status, signaled, core_dump, aborted, n_usage;
    char signal[DRMAA_SIGNAL_BUFFER + 1];
    char usage[64][DRMAA_ATTR_BUFFER + 1];
};

/* Job cycles and synchronize() give up after this long: a qmaster restarted meanwhile loses the events. */
#define JOB_TIMEOUT 60

static void wait_job(const char *job_id, signed long timeout, struct job_info *info)
{
    drmaa_attr_values_t *rusage = NULL;
    int stat = 0, rc;

    CHECK("wait", drmaa_wait(job_id, info->job_id, LEN(info->job_id), &stat, timeout, &rusage,
                             DIAG));
    CHECK("wifexited", drmaa_wifexited(&info->exited, stat, DIAG));
    info->exit_status = 0;
    if (info->exited)
        CHECK("wexitstatus", drmaa_wexitstatus(&info->exit_status, stat, DIAG));
    CHECK("wifsignaled", drmaa_wifsignaled(&info->signaled, stat, DIAG));
    info->signal[0] = '\0';
    info->core_dump = 0;
    if (info->signaled) {
        CHECK("wtermsig", drmaa_wtermsig(info->signal, LEN(info->signal), stat, DIAG));
        CHECK("wcoredump", drmaa_wcoredump(&info->core_dump, stat, DIAG));
    }
    CHECK("wifaborted", drmaa_wifaborted(&info->aborted, stat, DIAG));
    info->n_usage = 0;
    for (;;) {
        char *slot = info->usage[info->n_usage < 63 ? info->n_usage : 63];
        rc = D(drmaa_get_next_attr_value(rusage, slot, DRMAA_ATTR_BUFFER));
        if (rc != DRMAA_ERRNO_SUCCESS)
            break;
        info->n_usage++;
    }
    if (rc != DRMAA_ERRNO_NO_MORE_ELEMENTS)
        die("get_next_attr_value", rc);
    V(drmaa_release_attr_values(rusage));
}

/* --- batch: workloads 1 to 4 ----------------------------------------- */

static int batch(int w1_cycles, int w2_polls, int w3_tasks, int w4_jobs)
{
    char job_id[DRMAA_JOBNAME_BUFFER + 1];
    long long t0, calls0;
    long long *times;
    int max_n = w2_polls > w4_jobs ? w2_polls : w4_jobs;
    drmaa_job_template_t *jt;

    times = calloc(max_n > 0 ? max_n : 1, sizeof *times);
    printf("{\"impl\": \"C floor\", \"library\": \"libdrmaa (linked)\"");

    /* 1: template churn */
    for (int i = 0; i < 200; i++)
        template_cycle();
    calls0 = n_calls;
    t0 = now_ns();
    for (int i = 0; i < w1_cycles; i++)
        template_cycle();
    printf(", \"w1\": {\"n\": %d, \"total_ns\": %lld, \"calls_per_op\": %.3f}", w1_cycles, now_ns() - t0,
           (double)(n_calls - calls0) / w1_cycles);

    jt = job_template(1);

    /* 2: status polling of one held job */
    run_job(jt, job_id, sizeof job_id);
    record_id(job_id);
    fflush(ids_file);
    for (int i = 0; i < 5; i++) {
        int state;
        CHECK("job_ps", drmaa_job_ps(job_id, &state, DIAG));
    }
    calls0 = n_calls;
    for (int i = 0; i < w2_polls; i++) {
        int state;
        t0 = now_ns();
        CHECK("job_ps", drmaa_job_ps(job_id, &state, DIAG));
        times[i] = now_ns() - t0;
        if (state != DRMAA_PS_USER_ON_HOLD) {
            fprintf(stderr, "floor: job %s is in state 0x%x, not on hold\n", job_id, state);
            exit(2);
        }
    }
    printf(", \"w2\": {\"n\": %d, \"calls_per_op\": %.3f, ", w2_polls, (double)(n_calls - calls0) / w2_polls);
    print_times("times_ns", times, w2_polls);
    printf("}");

    /* 3: bulk submission and collection of the ids */
    {
        char (*ids)[64] = malloc((size_t)w3_tasks * 64);
        drmaa_job_ids_t *list = NULL;
        long long t_submit;
        int n = 0, rc;

        CHECK("run_bulk_jobs (warm-up)", drmaa_run_bulk_jobs(&list, jt, 1, 2, 1, DIAG));
        while (D(drmaa_get_next_job_id(list, job_id, LEN(job_id))) == DRMAA_ERRNO_SUCCESS)
            record_id(job_id);
        V(drmaa_release_job_ids(list));
        fflush(ids_file);

        calls0 = n_calls;
        t0 = now_ns();
        CHECK("run_bulk_jobs", drmaa_run_bulk_jobs(&list, jt, 1, w3_tasks, 1, DIAG));
        t_submit = now_ns();
        while ((rc = D(drmaa_get_next_job_id(list, job_id, LEN(job_id)))) == DRMAA_ERRNO_SUCCESS) {
            if (n < w3_tasks)
                memcpy(ids[n], job_id, strnlen(job_id, 63) + 1);
            n++;
        }
        V(drmaa_release_job_ids(list));
        {
            long long t_end = now_ns();
            if (rc != DRMAA_ERRNO_NO_MORE_ELEMENTS || n != w3_tasks) {
                fprintf(stderr, "floor: bulk gave %d ids (rc %d)\n", n, rc);
                exit(2);
            }
            printf(", \"w3\": {\"n\": %d, \"total_ns\": %lld, \"submit_ns\": %lld, \"calls_per_op\": %lld}", n,
                   t_end - t0, t_submit - t0, n_calls - calls0);
        }
        record_id(ids[0]);
        fflush(ids_file);
        free(ids);
    }

    /* 4: submission of held jobs one by one */
    for (int i = 0; i < 3; i++) {
        run_job(jt, job_id, sizeof job_id);
        record_id(job_id);
    }
    fflush(ids_file);
    {
        char (*ids)[64] = malloc((size_t)(w4_jobs > 0 ? w4_jobs : 1) * 64);
        calls0 = n_calls;
        for (int i = 0; i < w4_jobs; i++) {
            t0 = now_ns();
            run_job(jt, ids[i], 64);
            times[i] = now_ns() - t0;
        }
        for (int i = 0; i < w4_jobs; i++)
            record_id(ids[i]);
        fflush(ids_file);
        free(ids);
    }
    printf(", \"w4\": {\"n\": %d, \"calls_per_op\": %.3f, ", w4_jobs,
           (double)(n_calls - calls0) / (w4_jobs > 0 ? w4_jobs : 1));
    print_times("times_ns", times, w4_jobs);
    printf("}}\n");
    CHECK("delete_job_template", drmaa_delete_job_template(jt, DIAG));
    free(times);
    return 0;
}

/* --- jobs: workload 6 (memory), then the job side of workload 5 ------- */

static int jobs(int template_cycles, int job_cycles, int wait_jobs)
{
    static struct job_info info;
    char job_id[DRMAA_JOBNAME_BUFFER + 1];
    char line[256];
    drmaa_job_template_t *jt;
    long before, after;
    long long t0, calls0;

    /* 6a: resident memory over many template cycles */
    for (int i = 0; i < 1000; i++)
        template_cycle();
    before = rss_kib();
    for (int i = 0; i < template_cycles; i++)
        template_cycle();
    after = rss_kib();
    printf("{\"mem_templates\": {\"n\": %d, \"rss_before_kib\": %ld, \"rss_after_kib\": %ld}}\n", template_cycles,
           before, after);
    fflush(stdout);

    /* 6b: resident memory over job cycles: submit a trivial job and wait for it */
    jt = job_template(0);
    for (int i = 0; i < 2; i++) {
        run_job(jt, job_id, sizeof job_id);
        record_id(job_id);
        fflush(ids_file);
        wait_job(job_id, JOB_TIMEOUT, &info);
    }
    before = rss_kib();
    t0 = now_ns();
    for (int i = 0; i < job_cycles; i++) {
        run_job(jt, job_id, sizeof job_id);
        record_id(job_id);
        fflush(ids_file);
        wait_job(job_id, JOB_TIMEOUT, &info);
    }
    after = rss_kib();
    printf("{\"mem_jobs\": {\"n\": %d, \"rss_before_kib\": %ld, \"rss_after_kib\": %ld, \"total_ns\": %lld}}\n",
           job_cycles, before, after, now_ns() - t0);
    fflush(stdout);

    /* 5: submit the jobs, and wait until all have finished without reaping them */
    for (int i = 0; i < wait_jobs; i++) {
        run_job(jt, job_id, sizeof job_id);
        record_id(job_id);
    }
    fflush(ids_file);
    {
        const char *all[] = {DRMAA_JOB_IDS_SESSION_ALL, NULL};
        CHECK("synchronize", drmaa_synchronize(all, 3 * JOB_TIMEOUT, 0, DIAG));
    }
    CHECK("delete_job_template", drmaa_delete_job_template(jt, DIAG));
    printf("{\"ready\": true}\n");
    fflush(stdout);

    while (fgets(line, sizeof line, stdin)) {
        int k;
        if (sscanf(line, "wait %d", &k) == 1 && k > 0) {
            long long *times = calloc(k, sizeof *times);
            calls0 = n_calls;
            for (int i = 0; i < k; i++) {
                t0 = now_ns();
                wait_job(DRMAA_JOB_IDS_SESSION_ANY, DRMAA_TIMEOUT_WAIT_FOREVER, &info);
                times[i] = now_ns() - t0;
                if (!info.exited || info.exit_status != 0 || info.n_usage == 0) {
                    fprintf(stderr, "floor: job %s did not exit 0 with usage\n", info.job_id);
                    exit(2);
                }
            }
            printf("{\"w5\": {\"n\": %d, \"calls_per_op\": %.3f, \"usage_items\": %d, ", k,
                   (double)(n_calls - calls0) / k, info.n_usage);
            print_times("times_ns", times, k);
            printf("}}\n");
            fflush(stdout);
            free(times);
        } else if (strncmp(line, "quit", 4) == 0) {
            break;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int rc;
    int batch_mode = argc == 8 && strcmp(argv[1], "batch") == 0;
    if (!batch_mode && !(argc == 7 && strcmp(argv[1], "jobs") == 0)) {
        fprintf(stderr, "usage: floor batch TAG W1 W2 W3 W4 IDS_FILE | floor jobs TAG TEMPLATES JOBS WAITS IDS_FILE\n");
        return 64;
    }
    tag = argv[2];
    ids_file = fopen(argv[argc - 1], "a");
    if (!ids_file) {
        perror(argv[argc - 1]);
        return 1;
    }
    CHECK("init", drmaa_init(NULL, DIAG));
    if (batch_mode)
        rc = batch(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
    else
        rc = jobs(atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    fflush(stdout);
    fclose(ids_file);
    CHECK("exit", drmaa_exit(DIAG));
    return rc;
}
