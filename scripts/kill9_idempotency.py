#!/usr/bin/env python3
"""Idempotency under kill -9 (usage: scripts/kill9_idempotency.py BINARY DATA_DIR [CYCLES]): clients create incidents with Idempotency-Keys and short
timeouts while the server is killed at random; every unanswered key is retried after the
restart. Counts incidents per key: must be exactly one each. Loopback only, bounded."""
import json, os, random, signal, subprocess, sys, threading, time, urllib.request, uuid, shutil
BIN, DATA = sys.argv[1], sys.argv[2]
CYCLES = int(sys.argv[3]) if len(sys.argv) > 3 else 20
PORT = 18931
BASE = f"http://127.0.0.1:{PORT}"
env = dict(os.environ, YUNWEI_ADMIN_PASSWORD="Kx7#vQ2m!Lp9zR", YUNWEI_NEW_USER_PASSWORD="Kx7#vQ2m!Lp9zR", RUST_LOG="warn")
shutil.rmtree(DATA, ignore_errors=True)
def cli(*args):
    return subprocess.run([BIN, "--data-dir", DATA, *args], env=env, capture_output=True, text=True, timeout=120)
def start():
    p = subprocess.Popen([BIN, "--data-dir", DATA, "serve", "--listen", f"127.0.0.1:{PORT}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(BASE + "/readyz", timeout=1); return p
        except Exception: time.sleep(0.05)
    raise SystemExit("server did not start")
p = start(); p.terminate(); p.wait()
r = cli("user", "create", "--username", "desk", "--roles", "ops_director"); assert r.returncode == 0, r.stderr
r = cli("token", "create", "--user", "desk"); assert r.returncode == 0, r.stderr
token = [w for w in r.stdout.split() if w.startswith("yw_")][0]
def post(key, title, timeout):
    body = json.dumps({"title": title, "description": "kill -9", "impact": "low", "urgency": "low"}).encode()
    req = urllib.request.Request(BASE + "/api/v1/incidents", body, {"Authorization": "Bearer " + token, "Content-Type": "application/json", "Idempotency-Key": key})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res: return res.status
    except urllib.error.HTTPError as e: return e.code
    except Exception: return None
sent, unanswered, lock = {}, set(), threading.Lock()
retried, replies = 0, {}
for cycle in range(CYCLES):
    p = start()
    # Retry every key not answered before the last kill, with the same key and body.
    for key in sorted(unanswered):
        status = post(key, sent[key], 10)
        retried += 1
        replies[status] = replies.get(status, 0) + 1
        if status in (201, 409):
            unanswered.discard(key)
    stop = time.time() + random.uniform(0.3, 1.2)
    def worker():
        while time.time() < stop:
            key = str(uuid.uuid4()); title = "kill9-" + key[:8]
            with lock: sent[key] = title; unanswered.add(key)
            status = post(key, title, 0.5)
            if status == 201:
                with lock: unanswered.discard(key)
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads: t.start()
    time.sleep(random.uniform(0.2, 1.0))
    p.send_signal(signal.SIGKILL); p.wait()
    for t in threads: t.join()
p = start()
for key in sorted(unanswered):
    post(key, sent[key], 10)
# Count incidents per title through the API.
titles = {}
url = BASE + "/api/v1/incidents?limit=200"
while url:
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    page = json.load(urllib.request.urlopen(req, timeout=10))
    for i in page["items"]:
        if i["title"].startswith("kill9-"): titles[i["title"]] = titles.get(i["title"], 0) + 1
    c = page.get("next_cursor"); url = BASE + "/api/v1/incidents?limit=200&cursor=" + c if c else None
p.terminate(); p.wait()
dups = sum(n - 1 for n in titles.values() if n > 1)
print(json.dumps({"retried_after_kill": retried, "retry_answers": {str(k): v for k, v in replies.items()}, "cycles": CYCLES, "keys_sent": len(sent), "incidents": len(titles), "duplicates": dups, "keys_lost_or_not_created": len(sent) - len(titles)}))
