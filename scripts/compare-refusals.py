#!/usr/bin/env python3
"""Runs the bad-input corpus (tests/e2e/bad_inputs.txt) through the real Terraform, to compare what infra
refuses with what Terraform 1.11 refuses.

Needs ../shared/terraform-reference (Terraform with a local mirror of hashicorp/aws) and moto from
scripts/tools.sh. For every `plan` case of the corpus made only of configuration files, it runs
`terraform init` and `terraform plan -refresh=false -input=false` (with the case's --var, --var-file and
--target flags in Terraform's spelling) against a local moto, and prints one line per case: `both`
(Terraform refuses too), `infra-only` (Terraform plans it), or `n/a` (not comparable: another command,
infra-only flags, a state file, a provider the mirror does not have). Usage:

    scripts/compare-refusals.py [--only SUBSTRING]
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests/e2e/bad_inputs.txt"


def parse(text):
    cases, file = [], None
    for line in text.splitlines():
        if line.startswith("### "):
            if file and cases:
                cases[-1]["files"].append(file)
            file = None
            cases.append({"name": line[4:].strip(), "args": ["plan"], "files": []})
            continue
        if not cases:
            continue
        c = cases[-1]
        if line.startswith("--- "):
            if file:
                c["files"].append(file)
            file = [line[4:].strip(), ""]
        elif file is not None:
            file[1] += line + "\n"
        elif line.startswith("$ "):
            c["args"] = split(line[2:])
    if file and cases:
        cases[-1]["files"].append(file)
    return cases


def split(s):
    out, cur, quoted = [], "", False
    for ch in s:
        if ch == "'":
            quoted = not quoted
        elif ch == " " and not quoted:
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def terraform_args(args):
    """infra's plan flags in Terraform's spelling, or None when a flag has no Terraform equivalent."""
    if not args or args[0] != "plan":
        return None
    out, i = [], 1
    while i < len(args):
        a = args[i]
        name, _, value = a.partition("=")
        takes = name in ("--var", "--var-file", "--target", "--replace")
        if takes and not value:
            i += 1
            value = args[i] if i < len(args) else ""
        if name == "--var-file":
            out.append("-var-file=" + value.removeprefix("cfg/"))
        elif takes:
            out.append(f"-{name[2:]}={value}")
        else:
            return None
        i += 1
    return out


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    env_sh = ROOT.parent / "shared/terraform-reference/env.sh"
    moto = ROOT / ".tools/venv/bin/moto_server"
    if not env_sh.is_file() or not moto.is_file():
        sys.exit("needs ../shared/terraform-reference and scripts/tools.sh")
    port = free_port()
    server = subprocess.Popen([str(moto), "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2)
    cache = Path(tempfile.mkdtemp(prefix="tf-plugin-cache-"))
    env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1", TF_IN_AUTOMATION="1",
               TF_PLUGIN_CACHE_DIR=str(cache), CHECKPOINT_DISABLE="1")
    counts = {"both": 0, "infra-only": 0, "n/a": 0}
    try:
        for case in parse(CORPUS.read_text()):
            if only and only not in case["name"]:
                continue
            tf_args = terraform_args(case["args"])
            names = [f for f, _ in case["files"]]
            why = None
            if tf_args is None:
                why = "another command or an infra-only flag"
            elif any(n.startswith("@") for n in names):
                why = "needs a state file"
            elif any("digitalocean" in t for _, t in case["files"]):
                why = "DigitalOcean (not in the local mirror)"
            if why:
                counts["n/a"] += 1
                print(f"n/a         {case['name']}  ({why})")
                continue
            d = Path(tempfile.mkdtemp(prefix="tf-case-"))
            for name, text in case["files"]:
                p = d / name.removeprefix("cfg/")
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text)
            script = f". {env_sh} >/dev/null 2>&1 && terraform init -input=false -backend=false >/dev/null 2>&1; " \
                     f"terraform plan -refresh=false -input=false -no-color {' '.join(repr(a) for a in tf_args)}"
            r = subprocess.run(["bash", "-c", script], cwd=d, env=env, capture_output=True, text=True)
            verdict = "both" if r.returncode != 0 else "infra-only"
            counts[verdict] += 1
            first = next((l.strip() for l in r.stderr.splitlines() if l.strip().startswith("Error:")), "")
            print(f"{verdict:<11} {case['name']}  {first}")
            shutil.rmtree(d, ignore_errors=True)
    finally:
        server.terminate()
        shutil.rmtree(cache, ignore_errors=True)
    print(f"\nTerraform refuses too: {counts['both']}; only infra refuses: {counts['infra-only']}; not comparable: {counts['n/a']}")


if __name__ == "__main__":
    main()
