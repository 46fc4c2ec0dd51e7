"""Write README.md from nbs/index.ipynb (nbdev_readme needs quarto, which we do not require).

Markdown cells are copied as they are, code cells become ```python blocks, and cells marked
`#| hide` are left out. CI runs this and fails if README.md changes, so the two never drift apart.
"""
import json
from pathlib import Path

root = Path(__file__).resolve().parent.parent
nb = json.loads((root / "nbs" / "index.ipynb").read_text(encoding="utf-8"))
parts = ["<!-- Generated from nbs/index.ipynb by .ci/make_readme.py: edit the notebook, not this file. -->"]
for cell in nb["cells"]:
    lines = "".join(cell["source"]).splitlines()
    if any(l.replace(" ", "").startswith("#|hide") for l in lines):
        continue
    body = "\n".join(l for l in lines if not l.lstrip().startswith("#|")).strip()
    if not body:
        continue
    if cell["cell_type"] == "markdown":
        parts.append(body.replace("](images/", "](nbs/images/"))  # README lives one folder up
    else:
        parts.append(f"```python\n{body}\n```")
(root / "README.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
