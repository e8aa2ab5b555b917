#!/usr/bin/env python3

import asyncio
import drmaa
import os
from drmaa.aio import wrap_future
from drmaa.futures import JobExecutor

async def work(s, executor):
    jt = s.createJobTemplate()
    jt.remoteCommand = '/bin/sh'
    jt.outputPath = ':' + os.path.join(os.getcwd(), 'example7_1.out')
    jt.joinFiles = True

    futures = []
    for n in range(3):
        jt.args = ['-c', 'exit %d' % n]
        futures.append(executor.submit(jt))
    print('Your jobs have been submitted with IDs %s' % [f.jobId for f in futures])
    statuses = [(await f).exitStatus for f in asyncio.as_completed(futures)]
    print('Exit statuses: %s' % sorted(statuses))

    jt.args = ['-c', 'sleep 300']
    slow = executor.submit(jt)
    print('Your job has been submitted with ID %s' % slow.jobId)
    try:
        await asyncio.wait_for(wrap_future(slow, terminate=True), timeout=5)
    except asyncio.TimeoutError:
        print('Gave up waiting for job %s' % slow.jobId)

    s.deleteJobTemplate(jt)
    return slow

def main():
    """
    Await jobs in a coroutine; give up on a slow one, which terminates it.
    """
    with drmaa.Session() as s, JobExecutor(s) as executor:
        slow = asyncio.run(work(s, executor))
        print('Job %s was terminated: %s' % (slow.jobId, slow.cancelled()))

if __name__ == '__main__':
    main()
