"""Generated PDFs, in process (no broker, no storage: the pieces' bytes are in
memory), each measured in this one run:
- the dossier PDF of an application with 8 pieces (summary laid out by
  WeasyPrint, 8 header pages, the pieces merged by pypdf): time per dossier;
- a ZIP of 200 such dossiers as an archive is built (archives.build, each
  dossier made then written to a temporary file): total time, and the
  process's resident memory every 20 dossiers, which stays flat: one dossier
  is held at a time, whatever the count.

    python -m bench.documents [--dossiers 200] [--runs 5]
"""
import argparse
import io
import os
import random
import resource
import time
from datetime import datetime, timezone
from types import SimpleNamespace

from fpdf import FPDF
from PIL import Image

from services.documents import archives, dossier

from .stats import summary


def _pdf_piece(pages, title):
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for number in range(pages):
        pdf.add_page()
        pdf.cell(text=f"{title} - page {number + 1}")
        for line in range(30):
            pdf.ln(7)
            pdf.cell(text="Lorem ipsum dolor sit amet, consectetur adipiscing elit " * 2)
    return bytes(pdf.output())


def _photo(seed):
    """A phone photo of a paper: 1200 x 1600, noisy enough to weigh ~ 300 KB as JPEG."""
    rng = random.Random(seed)
    image = Image.effect_noise((1200, 1600), 40).convert("RGB")
    image.paste((rng.randrange(200, 255),) * 3, (100, 100, 1100, 300))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return out.getvalue()


def pieces():
    """8 pieces: 5 PDFs of 1 to 3 pages, 3 photos."""
    files = {}
    for number in range(5):
        files[f"pdf-{number}"] = (_pdf_piece(1 + number % 3, f"Piece {number}"), "application/pdf")
    for number in range(3):
        files[f"photo-{number}"] = (_photo(number), "image/jpeg")
    return files


def application(number, files):
    return {
        "application_id": number, "candidate_id": number, "status": "CO",
        "candidate": {"dossier_number": f"27BE{number:04d}", "civility": "MME",
                      "first_name": "Léa", "last_name": f"Martin{number}",
                      "email": f"lea{number}@example.org"},
        "dossier": {"personal": {"birth_date": "2001-02-03", "nationality": "FR"},
                    "address": {"line1": "3 rue des Lilas", "postal_code": "69001",
                                "commune": "Lyon", "country": "FR"},
                    "bac": {"has_bac": "yes", "year": "2019", "series": "S"},
                    "external": [{"year": str(2019 + i), "institution": "Université de Lyon",
                                  "diploma_type": "Licence", "label": f"Année {i + 1}",
                                  "obtained": "O"} for i in range(3)],
                    "internships": [{"year": "2022", "duration": "2 mois", "organisation": "Inria",
                                     "description": "Compilation\nTests"}],
                    "experience": [{"year": "2023", "duration": "1 an", "job_title": "Développeuse",
                                    "employer": "ACME"}]},
        "formation": {"code": "MINFO1", "label": "Master Informatique 1re année"},
        "centre": {"label": "UFR Sciences", "email": "scolarite@univ-demo.fr"},
        "commission": {"code": "SCI-INFO", "label": "Commission Informatique",
                       "address": "1 rue de l'Université\n69000 Lyon",
                       "email": "commission-info@univ-demo.fr"},
        "dates": {"created_at": "2027-03-01T10:00:00+00:00",
                  "transmitted_at": "2027-03-03T10:00:00+00:00"},
        "pieces": [{"code": key.upper(), "label": f"Pièce {key}", "status": "VA",
                    "document_id": key, "filename": f"{key}.pdf"} for key in sorted(files)],
    }


def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def dossier_times(files, runs):
    now = datetime.now(timezone.utc)
    dossier.build_bytes(application(0, files), files.get, now)  # imports, fonts
    latencies, cpu, size = [], [], 0
    started = time.perf_counter()
    for number in range(1, runs + 1):
        begin, begin_cpu = time.perf_counter(), time.process_time()
        size = len(dossier.build_bytes(application(number, files), files.get, now))
        latencies.append(time.perf_counter() - begin)
        cpu.append(time.process_time() - begin_cpu)
    result = summary(latencies, time.perf_counter() - started)
    result["kilobytes"] = size / 1024
    result["cpu_ms"] = sorted(cpu)[len(cpu) // 2] * 1000  # this process's own, whatever the load
    return result


def zip_archive(files, count):
    now = datetime.now(timezone.utc)
    archive = SimpleNamespace(format="zip", dossiers=[application(n, files)
                                                      for n in range(1, count + 1)])
    samples = []

    def progress(done):
        if done % 20 == 0 or done == count:
            samples.append((done, rss_mb()))

    out = archives.temporary_file()
    before = rss_mb()
    started, started_cpu = time.perf_counter(), time.process_time()
    try:
        with out:
            archives.build(archive, lambda data: dossier.build_bytes(data, files.get, now),
                           progress, out)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - started_cpu
        size = os.path.getsize(out.name)
    finally:
        archives.discard(out.name)
    return {"seconds": elapsed, "cpu_seconds": cpu, "megabytes": size / 1024 / 1024, "rss_before": before,
            "samples": samples,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def report(dossiers=200, runs=5):
    files = pieces()
    piece_mb = sum(len(content) for content, _ in files.values()) / 1024 / 1024
    times = dossier_times(files, runs)
    print(f"\n(d) Generated PDFs (in process): a dossier with 8 pieces ({piece_mb:.1f} MB of pieces),"
          f" {runs} runs after warm-up")
    print(f"  dossier PDF: p50 {times['p50_ms']:.0f} ms, p99 {times['p99_ms']:.0f} ms "
          f"(CPU p50 {times['cpu_ms']:.0f} ms), {times['kilobytes']:.0f} KB")
    archive = zip_archive(files, dossiers)
    print(f"  ZIP of {dossiers} dossiers: {archive['seconds']:.1f} s "
          f"({archive['seconds'] / dossiers * 1000:.0f} ms per dossier, CPU "
          f"{archive['cpu_seconds'] / dossiers * 1000:.0f} ms), "
          f"{archive['megabytes']:.0f} MB written")
    samples = archive["samples"]
    print(f"  resident memory (MB) before {archive['rss_before']:.0f}, then every 20 dossiers: "
          + " ".join(f"{mb:.0f}" for _, mb in samples))
    if samples:
        first, last = samples[0][1], samples[-1][1]
        print(f"  memory after the last / after the first 20 dossiers: {last / first:.2f}"
              f"   (flat: ~1.0; the archive itself is {archive['megabytes']:.0f} MB);"
              f" process peak {archive['peak_mb']:.0f} MB")
    return times, archive


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.documents", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dossiers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    report(args.dossiers, args.runs)


if __name__ == "__main__":
    main()
