"""camt.053 files for the tests: the hand-made fixture (``files/camt053_v02.xml``) filled in,
and files that lxml writes (``camt053_written``) — any schema version, booked payments, returns
and reversals, several transactions in one entry."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from lxml import etree
from lxml.builder import ElementMaker

FILES = Path(__file__).parent / "files"


def fixture_v02(**values) -> bytes:
    return (FILES / "camt053_v02.xml").read_text(encoding="utf-8").format(**values).encode()


@dataclass
class Tx:
    end_to_end_id: str
    amount: str
    indicator: str = "DBIT"
    status: str = "BOOK"
    value_date: str = "2026-03-05"
    reference: str = "BNK-1"
    currency: str = "CNY"
    return_reason: str = ""
    reversal: bool = False


def camt053_written(*entries: Tx, version: str = "08", grouped: list[Tx] | None = None) -> bytes:
    """A camt.053.001.<version> document written with lxml. Versions after 02 put the status
    in ``<Sts><Cd>``. ``grouped``: one more entry that carries these transactions together."""
    E = ElementMaker(namespace=f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}")

    def status(code: str):
        return E.Sts(code) if version == "02" else E.Sts(E.Cd(code))

    def tx_details(tx: Tx, *, own_amount: bool):
        children = [E.Refs(E.AcctSvcrRef(tx.reference), E.EndToEndId(tx.end_to_end_id))]
        if own_amount:
            children.insert(0, E.AmtDtls(E.TxAmt(E.Amt(tx.amount, Ccy=tx.currency))))
        if tx.return_reason:
            children.append(E.RtrInf(E.Rsn(E.Cd(tx.return_reason)), E.AddtlInf("Account closed")))
        return E.TxDtls(*children)

    def entry(tx: Tx, details: list[Tx]):
        parts = [E.Amt(tx.amount, Ccy=tx.currency), E.CdtDbtInd(tx.indicator)]
        if tx.reversal:
            parts.append(E.RvslInd("true"))
        parts += [
            status(tx.status),
            E.BookgDt(E.Dt(tx.value_date)),
            E.ValDt(E.Dt(tx.value_date)),
            E.AcctSvcrRef(tx.reference),
            E.BkTxCd(),
            E.NtryDtls(*(tx_details(d, own_amount=len(details) > 1) for d in details)),
        ]
        return E.Ntry(*parts)

    ntries = [entry(tx, [tx]) for tx in entries]
    if grouped:
        total = sum(Decimal(t.amount) for t in grouped)
        ntries.append(entry(Tx("", f"{total:.2f}", reference="BNK-BATCH"), grouped))
    document = E.Document(
        E.BkToCstmrStmt(
            E.GrpHdr(E.MsgId("STMT-LXML"), E.CreDtTm("2026-03-06T08:00:00")),
            E.Stmt(E.Id("STMT-LXML-1"), E.Acct(E.Id(E.Othr(E.Id("1234567890")))), *ntries),
        )
    )
    return etree.tostring(document, xml_declaration=True, encoding="UTF-8", pretty_print=True)
