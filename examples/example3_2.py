#!/usr/bin/env python3

import drmaa
import os

def main():
    """
    Submit an array job, wait for all its tasks, then collect each one.
    Note, need file called sleeper.sh in home directory.
    """
    with drmaa.Session() as s:
        print('Creating job template')
        jt = s.createJobTemplate()
        jt.remoteCommand = os.path.join(os.getcwd(), 'sleeper.sh')
        jt.args = ['42', 'Simon says:']
        jt.joinFiles = True
        jt.outputPath = ':' + os.path.join(os.getcwd(), 'example3_2.') + drmaa.JobTemplate.PARAMETRIC_INDEX + '.out'

        joblist = s.runBulkJobs(jt, 1, 30, 2)
        print('Your jobs have been submitted with IDs %s' % joblist)

        s.synchronize(joblist, drmaa.Session.TIMEOUT_WAIT_FOREVER, False)
        for curjob in joblist:
            print('Collecting job ' + curjob)
            retval = s.wait(curjob, drmaa.Session.TIMEOUT_WAIT_FOREVER)
            print('Job: {0} finished with status {1}'.format(retval.jobId,
                                                            retval.hasExited))

        print('Cleaning up')
        s.deleteJobTemplate(jt)

if __name__ == '__main__':
    main()
