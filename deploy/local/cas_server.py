"""A small CAS server (protocol 3: /login, /p3/serviceValidate, /logout) for the
local runner and the tests: the university's single sign-on is not reachable
here. Users and their attributes are given at start; service tickets are
random, single use and tied to the service URL they were issued for.

NOT an identity provider for production: passwords are compared in memory.
"""
import html
import secrets
import threading
from urllib.parse import urlencode, urlsplit, urlunsplit, parse_qsl
from xml.sax.saxutils import escape

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

SESSION_COOKIE = "CASTGC"


def with_ticket(service, ticket):
    parts = urlsplit(service)
    query = parse_qsl(parts.query) + [("ticket", ticket)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class QuietHandler(WSGIRequestHandler):
    """No access log: its lines would carry the tickets."""

    def log_request(self, *args, **kwargs):
        pass


class CasServer:
    def __init__(self, users, host="127.0.0.1", port=0):
        """users: {login: {"password": ..., "attributes": {name: value}}}."""
        self.users = users
        self.tickets = {}   # ticket -> (service, login)
        self.sessions = {}  # TGC -> login
        self.lock = threading.Lock()
        self.server = make_server(host, port, self.app, threaded=True,
                                  request_handler=QuietHandler)
        self.url = f"http://{host}:{self.server.server_port}/cas"
        self.thread = None

    # -- lifecycle --------------------------------------------------------------------

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()

    def serve_forever(self):
        self.server.serve_forever()

    # -- protocol ------------------------------------------------------------------------

    def issue(self, service, login):
        ticket = "ST-" + secrets.token_urlsafe(24)
        with self.lock:
            self.tickets[ticket] = (service, login)
        return ticket

    def app(self, environ, start_response):
        request = Request(environ)
        path = request.path.removeprefix("/cas")
        if path == "/login":
            response = self.login(request)
        elif path in ("/p3/serviceValidate", "/serviceValidate"):
            response = self.validate(request)
        elif path == "/logout":
            response = self.logout(request)
        else:
            response = Response("not found", status=404)
        return response(environ, start_response)

    def login(self, request):
        service = request.values.get("service", "")
        known = self.sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        if request.method == "GET" and known and service:
            return Response(status=302, headers={"Location": with_ticket(service, self.issue(service, known))})
        error = ""
        if request.method == "POST":
            login = request.form.get("username", "")
            user = self.users.get(login)
            if user and secrets.compare_digest(user["password"], request.form.get("password", "")):
                session = secrets.token_urlsafe(16)
                self.sessions[session] = login
                target = with_ticket(service, self.issue(service, login)) if service else self.url + "/login"
                response = Response(status=302, headers={"Location": target})
                response.set_cookie(SESSION_COOKIE, session, httponly=True)
                return response
            error = '<p class="error">Identifiant ou mot de passe incorrect.</p>'
        page = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Service d'authentification (démo)</title></head><body>
<h1>Service d'authentification centralisé (démonstration)</h1>{error}
<form method="post" action="{html.escape(self.url)}/login">
<input type="hidden" name="service" value="{html.escape(service)}">
<label>Identifiant <input name="username" id="username"></label>
<label>Mot de passe <input name="password" id="password" type="password"></label>
<button type="submit">Se connecter</button></form></body></html>"""
        return Response(page, content_type="text/html; charset=utf-8",
                        status=401 if error else 200)

    def validate(self, request):
        ticket, service = request.args.get("ticket", ""), request.args.get("service", "")
        with self.lock:
            issued = self.tickets.pop(ticket, None)  # single use
        if issued is None:
            return self.failure("INVALID_TICKET", f"ticket {ticket[:6]}… not recognized")
        if issued[0] != service:
            return self.failure("INVALID_SERVICE", "ticket issued for another service")
        login = issued[1]
        attributes = "".join(
            f"<cas:{name}>{escape(str(value))}</cas:{name}>"
            for name, values in self.users[login].get("attributes", {}).items()
            for value in (values if isinstance(values, list) else [values]))
        body = ('<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">'
                f"<cas:authenticationSuccess><cas:user>{escape(login)}</cas:user>"
                f"<cas:attributes>{attributes}</cas:attributes>"
                "</cas:authenticationSuccess></cas:serviceResponse>")
        return Response(body, content_type="application/xml; charset=utf-8")

    @staticmethod
    def failure(code, message):
        body = ('<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">'
                f'<cas:authenticationFailure code="{code}">{escape(message)}'
                "</cas:authenticationFailure></cas:serviceResponse>")
        return Response(body, content_type="application/xml; charset=utf-8")

    def logout(self, request):
        self.sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        service = request.args.get("service")
        response = (Response(status=302, headers={"Location": service}) if service
                    else Response("Vous êtes déconnecté du service d'authentification.",
                                  content_type="text/plain; charset=utf-8"))
        response.delete_cookie(SESSION_COOKIE)
        return response


# The demo students of deploy/local/demo_students.csv, as CAS knows them.
DEMO_PASSWORD = "Demo-2027-pass!"
DEMO_USERS = {
    "etu.durand": {"password": DEMO_PASSWORD, "attributes": {
        "supannEtuId": "21900001", "mail": "camille.durand@etu.univ-demo.fr",
        "displayName": "Camille Durand"}},
    "etu.nguyen": {"password": DEMO_PASSWORD, "attributes": {
        "supannEtuId": "22000002", "mail": "minh.nguyen@etu.univ-demo.fr",
        "displayName": "Minh Nguyen"}},
}


def main():
    import argparse
    parser = argparse.ArgumentParser(description="Demo CAS server (protocol 3), local use only")
    parser.add_argument("--port", type=int, default=9100)
    args = parser.parse_args()
    server = CasServer(DEMO_USERS, port=args.port)
    print(f"demo CAS server on {server.url}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
