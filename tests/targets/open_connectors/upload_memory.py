"""Run by test_upload_memory in a process of its own: upload a file, print the peak RSS (KiB)."""

import resource
import sys
from pathlib import Path

from hubload.jobs import PollPolicy
from hubload.targets.open_connectors.auth import Credentials
from hubload.targets.open_connectors.client import BulkClient

base_url, authorization, path = sys.argv[1], sys.argv[2], Path(sys.argv[3])
with BulkClient.connect(base_url, Credentials.from_header(authorization), "helpdesk") as client:
    job = client.upload("Contact", path)
    final = client.wait(job.job_id, PollPolicy(budget=600))
print(final.records_count, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
