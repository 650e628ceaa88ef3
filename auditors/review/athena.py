"""`--engine athena`: the catalog's queries, in Athena's dialect, run through the Athena API.

StartQueryExecution in the review workgroup (its enforced settings decide where results go and how they are
encrypted), GetQueryExecution until the query ends, GetQueryResults paged (the first row of the first page
is the header). A query that fails is an ERROR of that query, with Athena's reason.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from typing import Any

from auditkit.auditors.failures import pages
from auditkit.auditors.review.dialect import AthenaDialect, AthenaTable, with_records

DONE = ("SUCCEEDED", "FAILED", "CANCELLED")


class QueryFailed(Exception):
    pass


class AthenaEngine:
    dialect = AthenaDialect()

    def __init__(
        self,
        client: Any,
        workgroup: str,
        table: AthenaTable,
        days: Sequence[date],
        refused: Sequence[str] = (),
        poll: float = 0.5,
        timeout: float = 900.0,
    ) -> None:
        self.client, self.workgroup, self.table = client, workgroup, table
        self.records = self.dialect.records(table, days, refused)
        self.poll, self.timeout = poll, timeout
        self.sent: list[str] = []

    def sql(self, query: str) -> str:
        return with_records(self.records, query)

    def run(self, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        text = self.sql(query)
        self.sent.append(text)
        qid = self.client.start_query_execution(
            QueryString=text,
            WorkGroup=self.workgroup,
            QueryExecutionContext={"Database": self.table.database},
        )["QueryExecutionId"]
        waited = 0.0
        while True:
            status = self.client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
            if status["State"] in DONE:
                break
            if waited > self.timeout:
                raise QueryFailed(f"query {qid} still {status['State']} after {self.timeout:.0f} s")
            time.sleep(self.poll)
            waited += self.poll
        if status["State"] != "SUCCEEDED":
            raise QueryFailed(f"query {qid} {status['State']}: {status.get('StateChangeReason', 'no reason given')}")
        return _results(self.client, qid)


def _results(client: Any, qid: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every page of a query's results, through the pager that refuses a NextToken it has seen before."""
    columns: list[str] = []
    rows: list[tuple[Any, ...]] = []
    for page in pages(client.get_query_results, "NextToken", QueryExecutionId=qid):
        meta = page["ResultSet"].get("ResultSetMetadata", {}).get("ColumnInfo", [])
        data = [tuple(c.get("VarCharValue") for c in r.get("Data", [])) for r in page["ResultSet"].get("Rows", [])]
        if not columns:
            columns = [c["Name"] for c in meta] if meta else [str(v) for v in (data[0] if data else ())]
            data = data[1:]  # Athena returns the header as the first row of the first page
        rows += data
    return columns, rows
