/* A libdrmaa that does nothing: every DRMAA 1.0 function succeeds at once.
 *
 * benchmarks/profile.py --noop builds it and loads it instead of the real
 * library, so that what is measured is the binding alone (Python, ctypes and
 * the checks), not the DRM. Lists hand out fixed elements: 5 attribute values
 * ("value0".."value4"), 35 resource usage entries ("usage_N=1.0000") after a
 * wait, as many job ids as a bulk job asked for. Nothing is allocated, so
 * nothing needs to be freed; one job template stands for all.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

enum { NO_MORE_ELEMENTS = 25 };

typedef struct {
    int n, next;
    const char *format;
} list_t;

static int the_template;
static list_t values, names, job_ids, usage;

/* Copy like Grid Engine does: at most len - 1 characters and a NUL. */
static void put(char *out, size_t len, const char *text)
{
    size_t n = strlen(text);
    if (!out || !len)
        return;
    if (n >= len)
        n = len - 1;
    memcpy(out, text, n);
    out[n] = '\0';
}

static void *fill(list_t *list, int n, const char *format)
{
    list->n = n;
    list->next = 0;
    list->format = format;
    return list;
}

static int next(list_t *list, char *out, size_t len)
{
    char text[64];
    if (list->next >= list->n)
        return NO_MORE_ELEMENTS;
    snprintf(text, sizeof text, list->format, list->next++);
    put(out, len, text);
    return 0;
}

int drmaa_get_next_attr_name(list_t *l, char *v, size_t n) { return next(l, v, n); }
int drmaa_get_next_attr_value(list_t *l, char *v, size_t n) { return next(l, v, n); }
int drmaa_get_next_job_id(list_t *l, char *v, size_t n) { return next(l, v, n); }
int drmaa_get_num_attr_names(list_t *l, int *n) { *n = l->n; return 0; }
int drmaa_get_num_attr_values(list_t *l, int *n) { *n = l->n; return 0; }
int drmaa_get_num_job_ids(list_t *l, int *n) { *n = l->n; return 0; }
void drmaa_release_attr_names(list_t *l) { (void)l; }
void drmaa_release_attr_values(list_t *l) { (void)l; }
void drmaa_release_job_ids(list_t *l) { (void)l; }

int drmaa_init(const char *c, char *e, size_t l) { (void)c; (void)e; (void)l; return 0; }
int drmaa_exit(char *e, size_t l) { (void)e; (void)l; return 0; }

int drmaa_allocate_job_template(void **jt, char *e, size_t l) { (void)e; (void)l; *jt = &the_template; return 0; }
int drmaa_delete_job_template(void *jt, char *e, size_t l) { (void)jt; (void)e; (void)l; return 0; }
int drmaa_set_attribute(void *jt, const char *n, const char *v, char *e, size_t l)
{
    (void)jt; (void)n; (void)v; (void)e; (void)l;
    return 0;
}
int drmaa_get_attribute(void *jt, const char *n, char *v, size_t vl, char *e, size_t l)
{
    (void)jt; (void)n; (void)e; (void)l;
    put(v, vl, "/bin/sleep");
    return 0;
}
int drmaa_set_vector_attribute(void *jt, const char *n, const char *v[], char *e, size_t l)
{
    (void)jt; (void)n; (void)v; (void)e; (void)l;
    return 0;
}
int drmaa_get_vector_attribute(void *jt, const char *n, void **v, char *e, size_t l)
{
    (void)jt; (void)n; (void)e; (void)l;
    *v = fill(&values, 5, "value%d");
    return 0;
}
int drmaa_get_attribute_names(void **v, char *e, size_t l) { (void)e; (void)l; *v = fill(&names, 5, "drmaa_name_%d"); return 0; }
int drmaa_get_vector_attribute_names(void **v, char *e, size_t l) { (void)e; (void)l; *v = fill(&names, 3, "drmaa_v_%d"); return 0; }

int drmaa_run_job(char *id, size_t il, const void *jt, char *e, size_t l) { (void)jt; (void)e; (void)l; put(id, il, "1"); return 0; }
int drmaa_run_bulk_jobs(void **ids, const void *jt, int start, int end, int incr, char *e, size_t l)
{
    (void)jt; (void)e; (void)l;
    *ids = fill(&job_ids, incr > 0 && end >= start ? (end - start) / incr + 1 : 0, "1.%d");
    return 0;
}
int drmaa_control(const char *id, int a, char *e, size_t l) { (void)id; (void)a; (void)e; (void)l; return 0; }
int drmaa_synchronize(const char *ids[], long t, int d, char *e, size_t l) { (void)ids; (void)t; (void)d; (void)e; (void)l; return 0; }
int drmaa_wait(const char *id, char *out, size_t ol, int *stat, long t, void **rusage, char *e, size_t l)
{
    (void)id; (void)t; (void)e; (void)l;
    put(out, ol, "1");
    *stat = 0;
    if (rusage)
        *rusage = fill(&usage, 35, "usage_%d=1.0000");
    return 0;
}
int drmaa_wifexited(int *x, int s, char *e, size_t l) { (void)s; (void)e; (void)l; *x = 1; return 0; }
int drmaa_wexitstatus(int *x, int s, char *e, size_t l) { (void)s; (void)e; (void)l; *x = 0; return 0; }
int drmaa_wifsignaled(int *x, int s, char *e, size_t l) { (void)s; (void)e; (void)l; *x = 0; return 0; }
int drmaa_wtermsig(char *sig, size_t sl, int s, char *e, size_t l) { (void)s; (void)e; (void)l; put(sig, sl, ""); return 0; }
int drmaa_wcoredump(int *x, int s, char *e, size_t l) { (void)s; (void)e; (void)l; *x = 0; return 0; }
int drmaa_wifaborted(int *x, int s, char *e, size_t l) { (void)s; (void)e; (void)l; *x = 0; return 0; }
int drmaa_job_ps(const char *id, int *ps, char *e, size_t l) { (void)id; (void)e; (void)l; *ps = 0x12; return 0; }

const char *drmaa_strerror(int code) { (void)code; return "no error: this library does nothing"; }
int drmaa_get_contact(char *c, size_t cl, char *e, size_t l) { (void)e; (void)l; put(c, cl, ""); return 0; }
int drmaa_version(unsigned *major, unsigned *minor, char *e, size_t l) { (void)e; (void)l; *major = 1; *minor = 0; return 0; }
int drmaa_get_DRM_system(char *c, size_t cl, char *e, size_t l) { (void)e; (void)l; put(c, cl, "no-op"); return 0; }
int drmaa_get_DRMAA_implementation(char *c, size_t cl, char *e, size_t l) { (void)e; (void)l; put(c, cl, "no-op"); return 0; }
