"""A 20-page inspection report with 40 photos: our build + PAdES signature against a bare
ReportLab build of the same content plus a bare pyHanko signature, in the same run.

Ours: ``qcstation.reports.inspection_report.build_report`` (the real layout: facts table,
results against tolerances, defects, photos with captions, signatures table, the
signature spot, "Page x of y" on every page) then ``qcstation.reports.pdfsign.sign_pdf``
(PAdES B-B, visible signature block). Photos are JPEG files on disk, linked into a temp
folder and embedded as they are (DCTDecode), never decoded.

Reference: the same rows, paragraphs and JPEG files laid out with plain ReportLab
platypus (SimpleDocTemplate, Paragraph, Table, Image; a bare "Page x" footer), then
signed by pyHanko's ``sign_pdf`` with the same key, no visible appearance.

Metrics (medians of interleaved runs): ``build_sign`` (goal ratio <= 1.3), ``build``,
``sign``, ``verify`` (our check_pdf against pyHanko's validate_pdf_signature, both with
the plant root as trust anchor), and ``peak_memory`` (tracemalloc peak while building:
ours against the bare build; the table also shows what the 40 photos would take decoded).

    python bench/report_sign.py            # 20 pages, 40 photos, 7 runs per side
    python bench/report_sign.py --quick    # smoke run for the tests (fewer photos and runs)
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import _common as c
from cryptography.hazmat.primitives.serialization import Encoding
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Table

from qcstation.accounts import keys
from qcstation.domain.defects import Defect, Disposition, Severity
from qcstation.domain.inspections import Answer, Inspection, Outcome, Status, Verdict
from qcstation.domain.templates import ChecklistTemplate
from qcstation.imaging.scenes import encode_jpeg, render_piece
from qcstation.reports import pdfsign, pdfverify  # sets useA85 = 0, for both sides alike
from qcstation.reports.inspection_report import build_report, tolerance
from qcstation.reports.model import Photo, ReportContent

BENCH = "report_sign"
GOAL_RATIO = 1.3
AT = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)


def template(rows: int) -> ChecklistTemplate:
    """Prong checks and wall measurements at many positions: a long results table."""
    per = max(1, rows // 4)
    prong = {
        "kind": "pass_fail",
        "prompt": "Prong intact, over the girdle, even in height and shape",
        "positions": {"label": "Prong", "default": per},
    }
    wall = {
        "kind": "measurement",
        "prompt": "Shank wall thickness",
        "unit": "mm",
        "lower": 1.2,
        "upper": 1.8,
        "nominal": 1.5,
        "readings": 3,
        "positions": {"label": "Point", "default": per},
    }
    return ChecklistTemplate.model_validate(
        {
            "template": "bench",
            "version": 1,
            "stage": "final_qc",
            "name": "Final QC (benchmark)",
            "sections": [
                {"title": "Prongs", "items": [{"id": f"prong-{k}", **prong} for k in (1, 2)]},
                {"title": "Walls", "items": [{"id": f"wall-{k}", **wall} for k in (1, 2)]},
            ],
        }
    )


def inspection(rows: int) -> Inspection:
    tpl = template(rows)
    per = max(1, rows // 4)
    ins = Inspection(
        id="bench-0001",
        template=tpl,
        job_ticket="JT-26-000001",
        sku="RG-SOL-0412",
        serial="SN100001",
        inspector="ines",
        station="bench",
        started_at=AT,
        completed_at=AT,
        status=Status.COMPLETED,
        verdict=Verdict.PASS,
        position_counts={item.id: per for item in tpl.items()},
    )
    for item in tpl.items():
        for p in range(1, per + 1):
            if item.kind == "measurement":
                a = Answer(item.id, p, readings=(1.41, 1.52, 1.49 + p % 7 / 100))
            else:
                a = Answer(item.id, p, Outcome.PASS)
            ins.answers[(item.id, p)] = a
    ins.defects.append(Defect("POL-SCR", Severity.MINOR, "prong-1", 3, Disposition.REWORK, "x"))
    return ins


def make_photos(folder: Path, n: int) -> list[Photo]:
    out = []
    for i in range(n):
        path = folder / f"{i:064x}"  # named like the evidence store: no extension
        path.write_bytes(encode_jpeg(render_piece(i, 1280, 960, "porosity" if i % 4 else None)))
        out.append(Photo(path, "image/jpeg", f"{i:064x}", f"Evidence photo {i + 1}"))
    return out


def identity(folder: Path) -> tuple[pdfsign.SigningIdentity, bytes]:
    now = datetime.now(timezone.utc)
    root_key = keys.new_signing_key()
    root = keys.make_root(root_key, "Bench plant", now)
    user_key = keys.new_signing_key()
    cert = keys.issue(root_key, root, user_key.public_key(), "Ines Inspector", now, "ines")
    der = root.public_bytes(Encoding.DER)
    return pdfsign.SigningIdentity(
        keys.private_der(user_key), cert.public_bytes(Encoding.DER), (der,)
    ), der


class Ours:
    def __init__(self, content: ReportContent, ident: pdfsign.SigningIdentity):
        self.content, self.ident = content, ident

    def build(self) -> tuple[bytes, Any]:
        buf = io.BytesIO()
        area = build_report(self.content, buf)
        return buf.getvalue(), area

    def sign(self, built: tuple[bytes, Any]) -> bytes:
        pdf, area = built
        return pdfsign.sign_pdf(
            pdf,
            self.ident,
            area,
            "qcstation report R1; inspection x; record sha256 " + "0" * 64,
            "bench",
            "Digitally signed by %(signer)s\nDate: %(ts)s",
        )


class Reference:
    """The same rows and photos with plain platypus, and a bare pyHanko signature."""

    def __init__(self, content: ReportContent, ident: pdfsign.SigningIdentity):
        self.content, self.ident = content, ident
        self.styles = getSampleStyleSheet()

    def build(self) -> bytes:
        ins, st = self.content.inspection, self.styles
        cell = st["BodyText"]
        story: list[Any] = [Paragraph("Inspection report " + self.content.number, st["Title"])]
        story.append(
            Table(
                [
                    [Paragraph(k, cell), Paragraph(v, cell)]
                    for k, v in (
                        ("Job", ins.job_ticket),
                        ("SKU", ins.sku),
                        ("Serial", ins.serial),
                        ("Checklist", ins.template.key),
                        ("Verdict", "PASS"),
                    )
                ]
            )
        )
        rows = [["Check", "Result", "Reading", "Tolerance", "Note"]]
        for item in ins.template.items():
            for (item_id, pos), a in sorted(
                ins.answers.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)
            ):
                if item_id != item.id:
                    continue
                reading = ", ".join(f"{r:.2f}" for r in a.readings)
                tol = tolerance(item) if item.kind == "measurement" else ""  # type: ignore[arg-type]
                rows.append(
                    [
                        Paragraph(f"{item.prompt} — {pos}", cell),
                        "PASS",
                        Paragraph(reading, cell),
                        Paragraph(tol, cell),
                        "",
                    ]
                )
        story.append(
            Table(rows, colWidths=[64 * mm, 18 * mm, 36 * mm, 30 * mm, 30 * mm], repeatRows=1)
        )
        for p in self.content.photos:
            link = p.path.with_name(p.path.name + ".jpg")
            if not link.exists():
                link.symlink_to(p.path)
            story += [
                Image(str(link), width=80 * mm, height=60 * mm),
                Paragraph(f"{p.caption} SHA-256 {p.sha256}", cell),
            ]
        story.append(Paragraph("Performed by Ines Inspector", cell))

        def footer(canv: Any, doc: Any) -> None:
            canv.drawRightString(190 * mm, 10 * mm, f"Page {doc.page}")

        buf = io.BytesIO()
        SimpleDocTemplate(buf).build(story, onFirstPage=footer, onLaterPages=footer)
        return buf.getvalue()

    def sign(self, pdf: bytes) -> bytes:
        from asn1crypto import keys as ak
        from asn1crypto import x509 as ax
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        signer = signers.SimpleSigner(
            signing_cert=ax.Certificate.load(self.ident.certificate),
            signing_key=ak.PrivateKeyInfo.load(self.ident.private_key),
            cert_registry=SimpleCertificateStore.from_certs(
                [ax.Certificate.load(d) for d in self.ident.chain]
            ),
        )
        w = IncrementalPdfFileWriter(io.BytesIO(pdf))
        out = signers.sign_pdf(w, signers.PdfSignatureMetadata(field_name="Sig"), signer=signer)
        return bytes(out.getvalue())


def reference_verify(pdf: bytes, root: bytes) -> bool:
    from asn1crypto import x509 as ax
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    sig = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    ctx = ValidationContext(trust_roots=[ax.Certificate.load(root)])
    return bool(validate_pdf_signature(sig, ctx).bottom_line)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    value = fn()
    return (time.perf_counter() - t) * 1000, value


def peak(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke mode: 8 photos, 2 runs per side")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--photos", type=int, default=40)
    p.add_argument("--rows", type=int, default=360, help="result rows (20 pages with 40 photos)")
    args = p.parse_args(argv)
    if args.quick:
        args.runs, args.photos, args.rows = 2, 8, 60
    c.isolate_environment()
    with tempfile.TemporaryDirectory(prefix="qc-bench-report-") as tmp:
        return run(args, Path(tmp))


def run(args: argparse.Namespace, base: Path) -> int:
    photos = make_photos(base, args.photos)
    ident, root = identity(base)
    content = ReportContent(
        number="BENCH-R000001",
        plant="Bench plant",
        station="bench",
        inspection=inspection(args.rows),
        record_hash="ab" * 32,
        issued_at=AT,
        issued_by="Sam Supervisor",
        defect_names={"POL-SCR": "Polishing scratch"},
        photos=photos,
    )
    ours, ref = Ours(content, ident), Reference(content, ident)
    ours.sign(ours.build())  # warm-up: imports, fonts, caches on both sides
    ref.sign(ref.build())
    times: dict[str, list[float]] = {
        k: []
        for k in (
            "build/ours",
            "sign/ours",
            "build_sign/ours",
            "verify/ours",
            "build/reference",
            "sign/reference",
            "build_sign/reference",
            "verify/reference",
        )
    }
    signed_ours = signed_ref = b""
    for i in range(args.runs):
        for side in ("ours", "reference") if i % 2 == 0 else ("reference", "ours"):
            impl = ours if side == "ours" else ref
            tb, built = timed(impl.build)
            ts, signed = timed(lambda impl=impl, built=built: impl.sign(built))
            times[f"build/{side}"].append(tb)
            times[f"sign/{side}"].append(ts)
            times[f"build_sign/{side}"].append(tb + ts)
            if side == "ours":
                signed_ours = signed
                tv, checks = timed(lambda s=signed: pdfverify.check_pdf(s, [root]))
                assert checks and checks[0].ok, checks
            else:
                signed_ref = signed
                tv, ok = timed(lambda s=signed: reference_verify(s, root))
                assert ok
            times[f"verify/{side}"].append(tv)
    mem_ours = peak(ours.build)
    mem_ref = peak(ref.build)
    pages = signed_ours.count(b"/Type /Page\n") or signed_ours.count(b"/Type /Page ")
    jpeg_mb = sum(ph.path.stat().st_size for ph in photos) / 2**20
    decoded_mb = args.photos * 1280 * 960 * 3 / 2**20

    print(f"{BENCH}: build + PAdES sign of an inspection report vs bare ReportLab + pyHanko")
    print(f"  {c.machine()}")
    print(
        f"  {pages} pages (ours), {args.photos} JPEG photos 1280x960 ({jpeg_mb:.1f} MiB as "
        f"JPEG, {decoded_mb:.0f} MiB if decoded), {args.rows} result rows, {args.runs} runs "
        f"per side, interleaved; ours {len(signed_ours) / 2**20:.1f} MiB, reference "
        f"{len(signed_ref) / 2**20:.1f} MiB\n"
    )
    rows = []
    metrics = []
    for name in ("build_sign", "build", "sign", "verify"):
        o, r = (
            statistics.median(times[f"{name}/ours"]),
            statistics.median(times[f"{name}/reference"]),
        )
        rows.append((name, o, r, c.ratio(o, r)))
        metrics.append(c.metric(BENCH, name, o, r, "ms"))
    rows.append(("peak memory building (MiB)", mem_ours, mem_ref, c.ratio(mem_ours, mem_ref)))
    metrics.append(c.metric(BENCH, "peak_memory", mem_ours, mem_ref, "MiB"))
    print(c.table(["metric (median ms)", "ours", "reference", "ratio"], rows))
    r = c.ratio(
        statistics.median(times["build_sign/ours"]),
        statistics.median(times["build_sign/reference"]),
    )
    print(
        f"\nbuild + sign: ratio {r:.2f} "
        f"(goal <= {GOAL_RATIO:g}: {'met' if r <= GOAL_RATIO else 'NOT met'})"
    )
    print(
        f"peak while building: {mem_ours:.1f} MiB "
        f"(the photos decoded would be {decoded_mb:.0f} MiB)\n"
    )
    c.emit(metrics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
