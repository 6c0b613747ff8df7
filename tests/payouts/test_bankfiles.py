"""Reading bank statements: camt.053 of any version, the documented CSV, and hostile or
malformed files refused with a message naming where."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from payouts.bankfiles import BankFileError, bank_file_read, camt053_read, csv_read

from .camt import Tx, camt053_written, fixture_v02

HEADER = "end_to_end_id,amount,currency,value_date,bank_reference,status\n"


def test_the_hand_made_v02_fixture_reads_every_entry():
    parsed = camt053_read(fixture_v02(acme_amount="12.34", acme_e2e="E2E-A", other_e2e="E2E-B"))
    first = parsed.entries[0]
    assert (first.end_to_end_id, first.amount, first.currency, first.debit, first.booked) == (
        "E2E-A",
        Decimal("12.34"),
        "CNY",
        True,
        True,
    )
    assert (first.value_date, first.bank_reference) == (date(2026, 3, 5), "BNK-REF-0001")
    assert [e.booked for e in parsed.entries] == [True, True, True, True, False]
    assert parsed.entries[3].debit is False


def test_a_file_lxml_writes_with_a_return_reads_its_reason():
    parsed = camt053_read(
        camt053_written(Tx("E1", "5.00", indicator="CRDT", return_reason="AC04"), version="08")
    )
    [entry] = parsed.entries
    assert (entry.returned, entry.return_reason, entry.debit) == (True, "AC04 Account closed", False)


def test_a_billion_laughs_is_refused():
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>&lol3;</BkToCstmrStmt></Document>"""
    with pytest.raises(BankFileError) as refused:
        bank_file_read(bomb)
    assert "DOCTYPE" in refused.value.message


def test_an_external_entity_is_refused_and_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Id>&xxe;</Id></Stmt></BkToCstmrStmt></Document>""".encode()
    with pytest.raises(BankFileError) as refused:
        bank_file_read(xxe)
    assert "TOP-SECRET" not in refused.value.message


def test_a_file_over_the_limit_is_refused(settings):
    settings.BANK_STATEMENT_MAX_BYTES = 100
    with pytest.raises(BankFileError) as refused:
        bank_file_read(b"<" + b" " * 200)
    assert "100 bytes" in refused.value.message


def test_malformed_xml_names_the_line():
    with pytest.raises(BankFileError) as refused:
        bank_file_read(b'<?xml version="1.0"?>\n<Document>\n<Stmt>\n</Document>')
    assert "line 4" in refused.value.message


def test_another_document_is_refused():
    with pytest.raises(BankFileError) as refused:
        bank_file_read(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>')
    assert "camt.053" in refused.value.message


def test_a_bad_amount_names_the_element_and_line():
    content = camt053_written(Tx("E1", "12.345"))
    with pytest.raises(BankFileError) as refused:
        bank_file_read(content)
    assert "<Amt>" in refused.value.message
    assert "line" in refused.value.message


def test_the_csv_reads_booked_returned_and_pending_rows():
    content = (
        "\ufeff" + HEADER + "E1,100.00,CNY,2026-03-05,R1,booked\nE2,5.00,cny,2026-03-06,R2,returned\n"
        "E3,1.00,CNY,,R3,pending\n"
    ).encode()
    parsed = csv_read(content)
    assert [(e.end_to_end_id, e.debit, e.booked, e.returned, e.currency) for e in parsed.entries] == [
        ("E1", True, True, False, "CNY"),
        ("E2", False, True, True, "CNY"),
        ("E3", True, False, False, "CNY"),
    ]


@pytest.mark.parametrize(
    ("row", "named"),
    [
        ("E1,1.001,CNY,2026-03-05,R,booked", "Line 2, amount"),
        ("E1,-5,CNY,2026-03-05,R,booked", "Line 2, amount"),
        ("E1,5,RMB1,2026-03-05,R,booked", "Line 2, currency"),
        ("E1,5,CNY,05/03/2026,R,booked", "Line 2, value_date"),
        ("E1,5,CNY,2026-03-05,R,paid", "Line 2, status"),
    ],
)
def test_a_bad_csv_row_names_its_line_and_column(row, named):
    with pytest.raises(BankFileError) as refused:
        bank_file_read((HEADER + row + "\n").encode(), filename="s.csv")
    assert refused.value.message.startswith(named)


def test_a_csv_without_the_columns_says_which():
    with pytest.raises(BankFileError) as refused:
        bank_file_read(b"id,amount\n1,2\n")
    assert "end_to_end_id" in refused.value.message
