#!/usr/bin/env python3

import drmaa
import os
from drmaa.futures import JobExecutor, as_completed

def main():
    """
    Submit ten jobs as futures and report each one as it ends.
    """
    with drmaa.Session() as s, JobExecutor(s) as executor:
        jt = s.createJobTemplate()
        jt.remoteCommand = '/bin/sh'
        jt.outputPath = ':' + os.path.join(os.getcwd(), 'example7.out')
        jt.joinFiles = True

        numbers = {}
        for n in range(10):
            jt.args = ['-c', 'sleep 1; exit %d' % n]
            future = executor.submit(jt)
            numbers[future] = n
            print('Your job has been submitted with ID %s' % future.jobId)

        for future in as_completed(numbers):
            info = future.result()
            print('Job %s (n=%d) exited with status %d' % (info.jobId, numbers[future], info.exitStatus))

        print('Cleaning up')
        s.deleteJobTemplate(jt)

if __name__ == '__main__':
    main()
