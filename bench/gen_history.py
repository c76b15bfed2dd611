#!/usr/bin/env python3
"""A synthetic git history for benchmarking `tailgrant audit`, built with `git fast-import`.

    bench/gen_history.py DIR [--commits 5000] [--grants 10000] [--seed 1]

One commit adds the base policy; every later commit adds grant files (about grants/commits
each), and changes, renames or deletes earlier ones: some pruned after they expired, some
removed early, some extended, now and then a version that does not parse. Commits are an
hour apart from 2025-01-01, and their messages name pull requests like real merges do.
"""
import argparse
import json
import random
import subprocess
import sys

START = 1735689600  # 2025-01-01T00:00:00Z
HOUR = 3600


def iso(t):
    import datetime

    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def base(users, tags):
    groups = {"group:dba": users[:20], "group:eng": users[:200]}
    owners = {t: ["group:dba"] for t in tags}
    grants = [{"src": ["group:dba"], "dst": [tags[0]], "ip": ["tcp:5432"]}]
    return json.dumps({"groups": groups, "tagOwners": owners, "grants": grants}, indent="\t") + "\n"


def grant(user, approver, tag, port, start, hours, why):
    return json.dumps(
        {
            "description": why,
            "requester": user,
            "approvers": [approver],
            "notBefore": iso(start),
            "expires": iso(start + hours * HOUR),
            "grants": [{"src": [user], "dst": [tag], "ip": [f"tcp:{port}"]}],
        },
        indent="\t",
    ) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--commits", type=int, default=5000)
    p.add_argument("--grants", type=int, default=10000)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rnd = random.Random(a.seed)
    users = [f"user{i}@example.com" for i in range(2000)]
    tags = [f"tag:svc{i}" for i in range(300)]
    subprocess.run(["git", "init", "-q", "-b", "main", a.dir], check=True)
    fi = subprocess.Popen(["git", "-C", a.dir, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    out = fi.stdin

    def data(b):
        b = b.encode()
        out.write(b"data %d\n" % len(b) + b + b"\n")

    live = []  # (path, content, expires)
    made = 0
    for c in range(a.commits):
        t = START + c * HOUR
        who = rnd.choice(users)
        name = who.split("@")[0]
        out.write(b"commit refs/heads/main\nmark :%d\n" % (c + 1))
        out.write(f"author {name} <{who}> {t} +0000\ncommitter Merge Bot <bot@example.com> {t} +0000\n".encode())
        data(f"Merge pull request #{c + 1} from {name}/change\n\nAccess change {c}\n" if c % 3 else f"Access change {c} (#{c + 1})\n")
        if c:
            out.write(b"from :%d\n" % c)
        ops = []
        if c == 0:
            ops.append(("M", "policies/policy.hujson", base(users, tags)))
        # Spread the grant files evenly over the commits after the first.
        want = (a.grants * c) // max(1, a.commits - 1) - made if c else 0
        for _ in range(want):
            made += 1
            user = rnd.choice(users)
            start = t + rnd.randint(0, 48) * HOUR
            hours = rnd.choice([4, 8, 24, 72, 168])
            path = f"policies/grants/g{made:05d}-{user.split('@')[0]}.hujson"
            content = grant(user, rnd.choice(users), rnd.choice(tags), rnd.choice([22, 443, 5432]), start, hours, f"T-{made}")
            ops.append(("M", path, content))
            live.append([path, content, start + hours * HOUR])
        # Touch a few older files: prune (late or early), extend, rename, break.
        for _ in range(min(len(live), rnd.randint(0, 3))):
            i = rnd.randrange(len(live))
            path, content, expires = live[i]
            r = rnd.random()
            if r < 0.55 and any(op[1] == path for op in ops):
                continue
            if r < 0.55:
                ops.append(("D", path, None))
                live.pop(i)
            elif r < 0.75:
                content = content.replace('"T-', '"extended T-')
                live[i][1] = content
                ops.append(("M", path, content))
            elif r < 0.9:
                new = path.replace(".hujson", "-renamed.hujson")
                if not any(op[1] in (path, new) for op in ops):
                    ops.append(("R", path, new))
                    live[i][0] = new
            else:
                ops.append(("M", path, content[: len(content) // 2]))  # does not parse
        for op, path, content in ops:
            if op == "M":
                out.write(f"M 100644 inline {path}\n".encode())
                data(content)
            elif op == "D":
                out.write(f"D {path}\n".encode())
            else:
                out.write(f"R {path} {content}\n".encode())
        out.write(b"\n")
    out.close()
    if fi.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(["git", "-C", a.dir, "reset", "-q", "--hard", "main"], check=True)
    print(f"{a.dir}: {a.commits} commits, {made} grant files")


if __name__ == "__main__":
    main()
