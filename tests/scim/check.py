"""Runs scim2-tester's compliance checks (check_server) against Muster's
SCIM service and fails on any ERROR or CRITICAL result.

    SCIM_TOKEN=msc_... python tests/scim/check.py http://127.0.0.1:8080/scim/v2
"""

import os
import sys
from collections import Counter

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

url = sys.argv[1]
headers = {"Authorization": f"Bearer {os.environ['SCIM_TOKEN']}"}
client = SyncSCIMClient(Client(base_url=url, headers=headers))
results = check_server(client)
failed = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
for result in failed:
    print(f"{result.status.name} {result.title}: {result.reason} {str(result.data)[:400]}")
print("scim2-tester:", dict(Counter(r.status.name for r in results)))
sys.exit(1 if failed or not results else 0)
