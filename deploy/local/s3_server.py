"""moto's in-memory S3 server for the local runner and the tests:

    python -m deploy.local.s3_server -H 127.0.0.1 -p 9000

the same as `moto_server`, except that its request log (werkzeug's, one line per
request) shows no presigned URL's signature nor credential: a line such as
`GET /bucket/key?X-Amz-Signature=...` would let anyone reading the log fetch or
overwrite that file until the URL expires.
"""
import logging
import re
import sys

SIGNED_PARAMS = re.compile(
    r"(?i)((?:^|[?&;\s])(?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|"
    r"AWSAccessKeyId)=)[^&;\s\"]*")
REDACTED = "[redacted]"


def redact(text):
    return SIGNED_PARAMS.sub(r"\g<1>" + REDACTED, text)


class RedactSignatures(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def main(argv):
    logging.getLogger("werkzeug").addFilter(RedactSignatures())
    from moto.server import main as moto_main
    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
