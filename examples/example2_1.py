#!/usr/bin/env python3

import drmaa
import os

def main():
    """
    Submit an array job.
    Note, need file called sleeper.sh in current directory.
    """
    with drmaa.Session() as s:
        print('Creating job template')
        jt = s.createJobTemplate()
        jt.remoteCommand = os.path.join(os.getcwd(), 'sleeper.sh')
        jt.args = ['42', 'Simon says:']
        jt.joinFiles=True
        jt.outputPath = ':' + os.path.join(os.getcwd(), 'example2_1.') + drmaa.JobTemplate.PARAMETRIC_INDEX + '.out'

        jobid = s.runBulkJobs(jt, 1, 30, 2)
        print('Your jobs have been submitted with IDs %s' % jobid)

        print('Cleaning up')
        s.deleteJobTemplate(jt)

if __name__=='__main__':
    main()
