#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Rewrites README.md's option list (between the flags markers) from
`clarion-flowd --help`, so the README cannot drift from the binary.
  scripts/update_readme_flags.py [BINARY]"""
import os
import re
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build", "app", "clarion-flowd")
out = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, text=True, check=True).stdout
block = out.split("Options:\n", 1)[1].split("\n\n", 1)[0]
lines = "\n".join(l[2:] if l.startswith("  ") else l for l in block.splitlines())
readme = os.path.join(root, "README.md")
text = open(readme).read()
new = re.sub(r"(<!-- flags:begin -->\n```\n).*?(```\n<!-- flags:end -->)",
             lambda m: m.group(1) + lines + "\n" + m.group(2), text, flags=re.S)
open(readme, "w").write(new)
