"""Uploads, measured in one run:

(a) a 2 MB PDF sent as a candidate's piece through the gateway (form post,
    streamed to S3, checked, scanned by clamd, merged) against a direct PUT of
    the same bytes to the same S3 endpoint: the time ratio is what the platform
    adds to a bare transfer;
(b) the merge of 5 PDFs into one and the conversion of a 6 MB phone photo into
    an A4 PDF page: time, and the peak memory of a fresh process doing it once.

    .venv/bin/python -m bench.uploads [--quick]
"""
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # noqa: E402

import argparse  # noqa: E402
import io  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import secrets  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402

PIECE_BYTES = 1_900_000   # a scan of about 2 MB, under the default 2 MiB limit
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
APPLICATION_LINK = re.compile(r'href="/candidatures/(\d+)"')
UPLOAD_FORM = re.compile(r'action="/candidatures/(\d+)/pieces/([^/"]+)/fichier"')


def scanned_pdf(size):
    """A PDF of about `size` bytes as a scanner makes it: one page, one JPEG image."""
    import img2pdf
    from PIL import Image
    side = 600
    while True:
        small = Image.frombytes("RGB", (side // 4, side // 4), os.urandom((side // 4) ** 2 * 3))
        out = io.BytesIO()
        small.resize((side, side), Image.Resampling.BILINEAR).save(out, format="JPEG",
                                                                    quality=90)
        if len(out.getvalue()) >= size * 0.97 or side > 8000:
            return img2pdf.convert(out.getvalue())
        side = int(side * min(2.0, (size / len(out.getvalue())) ** 0.5 * 1.02))


def sample_pdf(size, text="Releve de notes"):
    """A valid PDF of exactly `size` bytes (its metadata padded)."""
    from fpdf import FPDF
    from pypdf import PdfWriter
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=text)
    base = bytes(pdf.output())

    def made(padding):
        writer = PdfWriter(clone_from=io.BytesIO(base))
        writer.add_metadata({"/Subject": "0" * padding})
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    padding = max(0, size - len(made(0)))
    for _ in range(5):
        data = made(padding)
        if len(data) == size:
            return data
        padding -= len(data) - size
    return data


def phone_photo():
    """About 6 MB of JPEG, 4000 x 3000, held sideways (EXIF orientation 6)."""
    from PIL import Image
    small = (1000, 750)
    noise = Image.frombytes("RGB", small, os.urandom(small[0] * small[1] * 3))
    image = noise.resize((4000, 3000), Image.Resampling.BILINEAR)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=92, exif=exif)
    return out.getvalue()


# -- (b) conversion and merge, each in a fresh process --------------------------------

def _peak_kb():
    """This process's resident high-water mark (VmHWM: getrusage's maxrss would
    carry over the parent's across exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _run_once(job, paths, queue):
    from services.documents import conversion  # imported before measuring: not the job's
    before = _peak_kb()
    began = time.perf_counter()
    target = Path(paths[0]).with_suffix(".out.pdf")
    if job == "convert":
        conversion.image_to_pdf(paths[0], target)
    else:
        conversion.merge(paths, target)
    queue.put({"seconds": time.perf_counter() - began,
               "peak_mb": max(0, _peak_kb() - before) / 1024, "total_peak_mb": _peak_kb() / 1024,
               "out_bytes": target.stat().st_size})


def in_fresh_process(job, paths):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_run_once, args=(job, paths, queue))
    process.start()
    result = queue.get(timeout=300)
    process.join(60)
    return result


def processing(rounds):
    folder = Path(tempfile.mkdtemp(prefix="bench-uploads-"))
    photo = folder / "photo.jpg"
    photo.write_bytes(phone_photo())
    # A piece of five scanned pages: photos made PDF pages, as candidates send them.
    from PIL import Image
    from services.documents import conversion
    parts = []
    for number in range(5):
        scan = folder / f"scan{number}.png"
        Image.frombytes("RGB", (400, 300), os.urandom(400 * 300 * 3)).resize(
            (1600, 1200), Image.Resampling.BILINEAR).save(scan)
        path = folder / f"part{number}.pdf"
        conversion.image_to_pdf(scan, path)
        parts.append(str(path))
    convert = [in_fresh_process("convert", [str(photo)]) for _ in range(rounds)]
    merge = [in_fresh_process("merge", parts) for _ in range(rounds)]
    return {"photo_bytes": photo.stat().st_size, "convert": convert, "merge": merge,
            "parts_bytes": sum(Path(p).stat().st_size for p in parts)}


# -- (a) through the gateway against a direct PUT ------------------------------------------

def login(url, email, password):
    session = requests.Session()
    page = session.get(url + "/", timeout=30)
    token = CSRF.search(page.text).group(1)
    answer = session.post(url + "/connexion", timeout=30, data={
        "login": email, "password": password, "csrf_token": token})
    if not answer.url.endswith("/candidatures"):
        raise RuntimeError(f"login refused for {email}")
    return session, answer


def can_upload(url, email, password):
    """Whether one of the candidate's applications still takes files."""
    session, page = login(url, email, password)
    return any(UPLOAD_FORM.search(session.get(f"{url}/candidatures/{a}", timeout=30).text)
               for a in sorted(set(APPLICATION_LINK.findall(page.text))))


def gateway_uploads(url, email, password, content, count):
    """Seconds of each upload post (the piece's file deleted between two)."""
    session, page = login(url, email, password)
    timings = []
    for application in sorted(set(APPLICATION_LINK.findall(page.text))):
        while len(timings) < count:
            page = session.get(f"{url}/candidatures/{application}", timeout=30)
            found = UPLOAD_FORM.search(page.text)
            if not found:
                break
            code = found.group(2)
            token = CSRF.search(page.text).group(1)
            began = time.perf_counter()
            answer = session.post(f"{url}/candidatures/{application}/pieces/{code}/fichier",
                                  timeout=120, data={"csrf_token": token,
                                                     "idempotency_key": uuid.uuid4().hex},
                                  files={"file": ("releve.pdf", content, "application/pdf")})
            elapsed = time.perf_counter() - began
            if "Fichier déposé" not in answer.text:
                raise RuntimeError(f"upload refused: {answer.status_code}")
            timings.append(elapsed)
            token = CSRF.search(answer.text).group(1)
            session.post(f"{url}/candidatures/{application}/pieces/{code}/supprimer",
                         data={"csrf_token": token, "idempotency_key": uuid.uuid4().hex},
                         timeout=30)
        if len(timings) >= count:
            break
    if not timings:
        raise RuntimeError("no piece to upload to")
    return timings


def direct_puts(env, content, count):
    from services.documents.dependencies import ObjectStore, storage_settings
    saved = {k: os.environ.get(k) for k in ("MINIO_ENDPOINT", "MINIO_ACCESS_KEY",
                                            "MINIO_SECRET_KEY", "MINIO_SECURE")}
    os.environ.update({k: env[k] for k in saved if env.get(k)})
    try:
        store = ObjectStore(storage_settings())
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
    timings = []
    for _ in range(count):
        key = f"bench/{uuid.uuid4()}"
        url = store.upload_url(key)
        began = time.perf_counter()
        requests.put(url, data=content, timeout=120).raise_for_status()
        timings.append(time.perf_counter() - began)
        store.remove(key)
    return timings


def through_gateway(count):
    from bench import deadline_day
    from bench import generate as generator
    prefix = os.environ.get("BENCH_UPLOADS_PREFIX", "ecandidat_bench_uploads")
    content = scanned_pdf(PIECE_BYTES)
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as var:
        with deadline_day.running_stack(prefix, var) as stack:
            deadline_day.load_data(stack, 7, 10, 20, 4, 1, log=lambda message: None)
            env = stack.environment()
            email = next(generator.candidate_email(n) for n in range(1, 11)
                         if can_upload(stack.url, generator.candidate_email(n), generator.PASSWORD))
            # warm both paths once (connections, workers, the bucket)
            gateway_uploads(stack.url, email, generator.PASSWORD, content, 1)
            direct_puts(env, content, 1)
            gateway, direct = [], []
            for _ in range(count):  # alternating: the machine's load weighs on both alike
                gateway += gateway_uploads(stack.url, email, generator.PASSWORD, content, 1)
                direct += direct_puts(env, content, 1)
    return {"gateway": gateway, "direct": direct, "bytes": len(content)}


def ms(values):
    return statistics.median(values) * 1000


def report(transfer, work):
    lines = []
    if transfer is not None:
        gateway, direct = ms(transfer["gateway"]), ms(transfer["direct"])
        lines += [
            f"\n(d) Upload of a {transfer['bytes'] / 1e6:.1f} MB scanned PDF, "
            f"{len(transfer['gateway'])} each, "
            "alternating, median:",
            f"  through the gateway (post, S3, checks, clamd, merge) {gateway:8.1f} ms",
            f"  direct PUT to the same S3 endpoint                  {direct:8.1f} ms",
            f"  gateway / direct PUT = {gateway / direct:.1f}"]
    convert, merge = work["convert"], work["merge"]
    lines += [
        f"\n(e) Processing in a fresh process, {len(convert)} run(s) each, median time, "
        "largest peak memory above the process's start:",
        f"  6 MB photo ({work['photo_bytes'] / 1e6:.1f} MB JPEG, 4000x3000) -> A4 PDF page: "
        f"{ms([r['seconds'] for r in convert]):7.1f} ms, "
        f"+{max(r['peak_mb'] for r in convert):.0f} MB peak "
        f"({max(r['total_peak_mb'] for r in convert):.0f} MB RSS), "
        f"result {convert[0]['out_bytes'] / 1e6:.2f} MB",
        f"  merge of 5 PDFs ({work['parts_bytes'] / 1e6:.1f} MB in all):              "
        f"{ms([r['seconds'] for r in merge]):7.1f} ms, "
        f"+{max(r['peak_mb'] for r in merge):.0f} MB peak "
        f"({max(r['total_peak_mb'] for r in merge):.0f} MB RSS), "
        f"result {merge[0]['out_bytes'] / 1e6:.2f} MB"]
    return "\n".join(lines)


def run(quick=False, gateway=True):
    transfer = through_gateway(3 if quick else 10) if gateway else None
    return report(transfer, processing(1 if quick else 3))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.uploads", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-gateway", action="store_true",
                        help="only (e): conversion and merge, no platform started")
    args = parser.parse_args(argv)
    os.environ["APP_ENV"] = "development"
    os.environ.setdefault("ACTOR_SIGNING_KEY", secrets.token_hex(32))
    print(run(args.quick, not args.no_gateway))
    return 0


if __name__ == "__main__":
    sys.exit(main())
