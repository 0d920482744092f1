#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
A fake Kubernetes API server for the tests of 'ipvsctl kube': Services,
EndpointSlices and Nodes only, list and watch, over plain HTTP on loopback (or a
test namespace's address). Written for these tests from the API's
documented behaviour (Kubernetes "API Concepts": resource versions, list
chunking with limit/continue, watch, bookmarks, 410 Gone), not from its
code.

  fakeapi.py --port N [--objects FILE] [--token T] [--ready FILE]

(--port 0: a free port, written into the --ready file.)

FILE is a JSON List (kubectl get -o json). Objects are changed, and the
server's misbehaviours switched on, through a control endpoint that only
answers on loopback:

  POST /control  {"op": "apply", "object": {...}}     add or modify
                 {"op": "delete", "kind": K, "namespace": N, "name": M}
                 {"op": "bookmark"}                    to every watcher
                 {"op": "compact"}                     older versions: 410
                 {"op": "expire", "as": "status"|"event"}
                                                       how a too-old watch
                                                       is told (default event)
                 {"op": "drop"}                        cut every watch stream
                 {"op": "slow", "ms": N}               delay each chunk
                 {"op": "fail", "status": S, "count": N}
                                                       the next N requests get S
  GET /control   {"rv": ..., "watchers": ..., "requests": ...}

Every loop is bounded: a watch ends after its timeoutSeconds (at most
600) or when the server stops.
"""

import argparse
import json
import queue
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KINDS = {
    "/api/v1/services": "Service",
    "/apis/discovery.k8s.io/v1/endpointslices": "EndpointSlice",
    "/api/v1/nodes": "Node",
}
LIST_KIND = {"Service": "ServiceList", "EndpointSlice": "EndpointSliceList", "Node": "NodeList"}
API_VERSION = {"Service": "v1", "EndpointSlice": "discovery.k8s.io/v1", "Node": "v1"}


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.rv = 1000
        self.floor = 0              # versions below it are compacted
        self.objects = {}           # (kind, ns, name) -> object
        self.history = []           # (rv, kind, type, object), for watches from an old rv
        self.watchers = []          # (kind, queue)
        self.expire_as = "event"
        self.slow_ms = 0
        self.fail = (0, 0)          # (status, count)
        self.requests = 0

    def key(self, obj):
        md = obj.get("metadata", {})
        return (obj.get("kind"), md.get("namespace", ""), md.get("name", ""))

    def put(self, obj, typ=None):
        with self.lock:
            k = self.key(obj)
            if typ is None:
                typ = "MODIFIED" if k in self.objects else "ADDED"
            self.rv += 1
            obj = json.loads(json.dumps(obj))
            obj.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
            if typ == "DELETED":
                self.objects.pop(k, None)
            else:
                self.objects[k] = obj
            ev = {"type": typ, "object": obj}
            self.history.append((self.rv, k[0], ev))
            del self.history[:-5000]
            for kind, q in self.watchers:
                if kind == k[0]:
                    q.put(ev)

    def broadcast(self, item):
        with self.lock:
            for _, q in self.watchers:
                q.put(item)


STATE = State()


def selected(obj, selector, fields=None):
    """The selectors the agent sends: '!label' terms only, and
    'metadata.name=NAME' as a field selector."""
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in filter(None, (selector or "").split(",")):
        if term.startswith("!") and term[1:] in labels:
            return False
    for term in filter(None, (fields or "").split(",")):
        key, _, value = term.partition("=")
        if key == "metadata.name" and obj.get("metadata", {}).get("name") != value:
            return False
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):     # quiet: tests read their own logs
        pass

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def status(self, code, reason, message):
        self.send_json(code, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                              "status": "Failure", "message": message, "reason": reason,
                              "code": code})

    def chunk(self, data):
        if STATE.slow_ms:
            time.sleep(STATE.slow_ms / 1000.0)
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def authorized(self):
        if not ARGS.token:
            return True
        return self.headers.get("Authorization") == "Bearer " + ARGS.token

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/control":
            with STATE.lock:
                self.send_json(200, {"rv": STATE.rv, "watchers": len(STATE.watchers),
                                     "requests": STATE.requests})
            return
        with STATE.lock:
            STATE.requests += 1
            status, count = STATE.fail
            if count:
                STATE.fail = (status, count - 1)
        if count:
            self.status(status, "InternalError" if status >= 500 else "Failure", "injected")
            return
        if not self.authorized():
            self.status(401, "Unauthorized", "Unauthorized")
            return
        kind = KINDS.get(url.path)
        if not kind:
            self.status(404, "NotFound", "the server could not find the requested resource")
            return
        if q.get("watch") in ("1", "true"):
            self.watch(kind, q)
        else:
            self.list(kind, q)

    def list(self, kind, q):
        sel, fsel = q.get("labelSelector"), q.get("fieldSelector")
        with STATE.lock:
            items = sorted((k, o) for k, o in STATE.objects.items() if k[0] == kind and
                           selected(o, sel, fsel))
            rv = STATE.rv
        start = 0
        if q.get("continue"):
            try:
                crv, start = (int(x) for x in q["continue"].split(":"))
            except ValueError:
                self.status(400, "BadRequest", "bad continue token")
                return
            if crv < STATE.floor:
                self.status(410, "Expired", "the provided continue parameter is too old")
                return
            rv = crv
        limit = int(q.get("limit", "0") or 0)
        page = items[start:start + limit] if limit else items[start:]
        body = {"kind": LIST_KIND[kind], "apiVersion": API_VERSION[kind],
                "metadata": {"resourceVersion": str(rv)},
                "items": [o for _, o in page]}
        if limit and start + limit < len(items):
            body["metadata"]["continue"] = "%d:%d" % (rv, start + limit)
        self.send_json(200, body)

    def watch(self, kind, q):
        sel, fsel = q.get("labelSelector"), q.get("fieldSelector")
        rv = int(q.get("resourceVersion") or 0)
        timeout = min(int(q.get("timeoutSeconds") or 300), 600)
        bookmarks = q.get("allowWatchBookmarks") in ("1", "true")
        expired = {"type": "ERROR", "object": {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "too old resource version: %d (%d)" % (rv, STATE.floor),
            "reason": "Expired", "code": 410}}
        if rv and rv < STATE.floor and STATE.expire_as == "status":
            self.status(410, "Expired", expired["object"]["message"])
            return
        qu = queue.Queue()
        with STATE.lock:
            backlog = [ev for (r, k, ev) in STATE.history if k == kind and r > rv] if rv else \
                [{"type": "ADDED", "object": o} for k, o in sorted(STATE.objects.items())
                 if k[0] == kind]
            STATE.watchers.append((kind, qu))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        deadline = time.monotonic() + timeout
        try:
            if rv and rv < STATE.floor:
                self.chunk(json.dumps(expired).encode() + b"\n")
                return
            for ev in backlog:
                if selected(ev["object"], sel, fsel):
                    self.chunk(json.dumps(ev).encode() + b"\n")
            while time.monotonic() < deadline:
                try:
                    item = qu.get(timeout=0.2)
                except queue.Empty:
                    continue
                if item == "drop":
                    self.connection.shutdown(2)     # no final chunk: a broken stream
                    return
                if item == "bookmark":
                    if bookmarks:
                        item = {"type": "BOOKMARK", "object": {
                            "kind": kind, "apiVersion": API_VERSION[kind],
                            "metadata": {"resourceVersion": str(STATE.rv)}}}
                    else:
                        continue
                if item == "expire":
                    self.chunk(json.dumps(expired).encode() + b"\n")
                    break
                if isinstance(item, dict) and not selected(item["object"], sel, fsel):
                    continue
                self.chunk(json.dumps(item).encode() + b"\n")
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            with STATE.lock:
                STATE.watchers = [(k, x) for (k, x) in STATE.watchers if x is not qu]

    def do_POST(self):
        if self.path != "/control" or self.client_address[0] not in ("127.0.0.1", "::1"):
            self.status(404, "NotFound", "no")
            return
        n = int(self.headers.get("Content-Length", "0"))
        try:
            cmd = json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            self.status(400, "BadRequest", "not JSON")
            return
        op = cmd.get("op")
        if op == "apply":
            STATE.put(cmd["object"])
        elif op == "delete":
            with STATE.lock:
                obj = STATE.objects.get((cmd["kind"], cmd["namespace"], cmd["name"]))
            if obj:
                STATE.put(obj, "DELETED")
        elif op == "bookmark":
            STATE.broadcast("bookmark")
        elif op == "compact":
            with STATE.lock:
                STATE.floor = STATE.rv
        elif op == "expire":
            STATE.expire_as = cmd.get("as", "event")
            with STATE.lock:
                STATE.floor = STATE.rv + 1
            STATE.broadcast("expire")
        elif op == "drop":
            STATE.broadcast("drop")
        elif op == "slow":
            STATE.slow_ms = int(cmd.get("ms", 0))
        elif op == "fail":
            STATE.fail = (int(cmd.get("status", 500)), int(cmd.get("count", 1)))
        else:
            self.status(400, "BadRequest", "unknown op")
            return
        with STATE.lock:
            self.send_json(200, {"rv": STATE.rv})


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument("--objects")
    p.add_argument("--token")
    p.add_argument("--ready", help="a file created once the server listens, with its port "
                   "(--port 0: one the kernel chose)")
    ARGS = p.parse_args()
    if ARGS.objects:
        with open(ARGS.objects) as f:
            doc = json.load(f)
        for obj in doc.get("items", doc if isinstance(doc, list) else []):
            if obj.get("kind") in LIST_KIND:
                STATE.put(obj)
    srv = ThreadingHTTPServer((ARGS.address, ARGS.port), Handler)
    srv.daemon_threads = True
    if ARGS.ready:
        with open(ARGS.ready + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        import os
        os.rename(ARGS.ready + ".tmp", ARGS.ready)
    srv.serve_forever()


ARGS = None

if __name__ == "__main__":
    main()
