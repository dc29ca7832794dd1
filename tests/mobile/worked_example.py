"""The worked example of docs/mobile.md §7, computed by the code (a test compares the section)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from generator.mobile import qrparts
from generator.mobile.example import example_inspector_seed
from generator.mobile.formats import (
    cosign_bundle,
    enrolment_from_signer,
    inspector_signer,
    sign_bundle,
)
from ledger import canonical
from ledger.inspector_payloads import Inspection, InspectorEnrol
from ledger.payloads import (
    FollowupState,
    Result,
    ResultPublish,
)
from ledger.schema import encode

ORIGIN = "scjg.example.gov.cn/gongkai/ledger"
DEPT, INSPECTOR, TASK = "scjg", "62082301005", "2024-T1"
PARTNER = "62082301001"  # the second inspector of the team, co-signing on his own phone


def values() -> dict[str, Any]:
    """Every byte string the section shows, by name (``enrolment_qr``: the parts of §5.2, which
    depend on the DEFLATE of the zlib at hand)."""
    signer = inspector_signer(ORIGIN, DEPT, INSPECTOR, example_inspector_seed(DEPT, INSPECTOR))
    enrolment = enrolment_from_signer(ORIGIN, DEPT, INSPECTOR, signer)
    enrol_body = InspectorEnrol(
        id=f"inspector.enrol/{DEPT}/{signer.key_id:08x}", ts="2024-03-01T01:00:00Z", dept=DEPT,
        inspector=INSPECTOR, vkey=enrolment.vkey, scopes=("result.publish",), proof=enrolment.proof,
    )  # fmt: skip
    result = Result(
        entity="91620823MA00000001", items=("SC-01",), methods=("现场检查",),
        categories=("违反市场监管相关规定",), detail="进货查验记录不完整",
        inspectors=(PARTNER, INSPECTOR), inspected_on=dt.date(2024, 3, 4),
        completed_on=dt.date(2024, 3, 4),
        followup=FollowupState(measure="违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责", state="未完结"),
    )  # fmt: skip
    attachment = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    bundle = sign_bundle(ORIGIN, TASK, DEPT, signer, [(result, (attachment,))])
    item = bundle.results[0]
    publish = ResultPublish(
        id=f"result.publish/{TASK}/{DEPT}/{result.entity}", ts="2024-03-05T08:00:00Z", dept=DEPT,
        task_id=TASK, result=result,
        inspection=Inspection(attachments=item.attachments, sigs=item.sigs),
    )  # fmt: skip
    partner = inspector_signer(ORIGIN, DEPT, PARTNER, example_inspector_seed(DEPT, PARTNER))
    cosigned = cosign_bundle(bundle, partner)
    both = dataclasses.replace(
        publish, inspection=Inspection(attachments=item.attachments, sigs=cosigned.results[0].sigs)
    )
    return {
        "seed": example_inspector_seed(DEPT, INSPECTOR).hex(),
        "partner_seed": example_inspector_seed(DEPT, PARTNER).hex(),
        "vkey": enrolment.vkey,
        "enrol_message": enrolment.message().decode(),
        "enrolment": enrolment.dumps().decode(),
        "enrol_body": canonical.dumps(encode(enrol_body)).decode(),
        "inspection_message": bundle.message(item).decode(),
        "bundle": bundle.dumps().decode(),
        "publish_body": canonical.dumps(encode(publish)).decode(),
        "cosigned_bundle": cosigned.dumps().decode(),
        "cosigned_body": canonical.dumps(encode(both)).decode(),
        "enrolment_qr": qrparts.encode(enrolment.dumps()),
    }


if __name__ == "__main__":  # pragma: no cover - prints the values for the document
    for name, value in values().items():
        print(f"== {name}\n{value}")
