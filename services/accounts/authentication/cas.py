"""CAS protocol 3 ticket validation (the university's single sign-on,
"identifiants ENT"): GET {CAS_URL}/p3/serviceValidate?service=...&ticket=...
and read the XML answer. Tickets are never logged."""
import logging
import xml.etree.ElementTree as ElementTree

import requests

log = logging.getLogger(__name__)
NS = {"cas": "http://www.yale.edu/tp/cas"}
TIMEOUT = 10


class CasRefused(Exception):
    """The ticket was refused, or the answer could not be read."""


def validate(cas_url, service, ticket, timeout=TIMEOUT):
    """-> (user, {attribute: value or [values]}) for a ticket CAS accepts."""
    try:
        answer = requests.get(f"{cas_url}/p3/serviceValidate",
                              params={"service": service, "ticket": ticket}, timeout=timeout)
    except requests.RequestException as exc:
        log.warning("CAS server unreachable: %s", type(exc).__name__)
        raise CasRefused("unreachable") from None
    if answer.status_code != 200:
        raise CasRefused(f"status {answer.status_code}")
    return parse(answer.text)


def parse(text):
    # No DTD in a CAS answer: refusing them rules out entity expansion attacks.
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise CasRefused("unexpected DTD")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise CasRefused("unreadable answer") from None
    success = root.find("cas:authenticationSuccess", NS)
    if success is None:
        failure = root.find("cas:authenticationFailure", NS)
        raise CasRefused(failure.get("code") if failure is not None else "no success")
    user = (success.findtext("cas:user", default="", namespaces=NS) or "").strip()
    if not user:
        raise CasRefused("no user")
    attributes = {}
    container = success.find("cas:attributes", NS)
    for element in (container if container is not None else ()):
        name = element.tag.split("}", 1)[-1]
        value = (element.text or "").strip()
        if name in attributes:  # a multi-valued attribute
            previous = attributes[name]
            attributes[name] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            attributes[name] = value
    return user, attributes


def first(value):
    return (value[0] if value else None) if isinstance(value, list) else (value or None)
