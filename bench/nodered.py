"""Node-RED as a scenario of bench/e2e.py: mqtt-in -> function -> mqtt-out at QoS 1.

The function node (bench/nodered/enrich.js) does what a plant's hand-built flow does for the
same 100 hot topics as the service: look the binding up, parse the JSON, add asset and context,
normalise time and quality, stringify, publish on the governed topic. Node-RED is installed
from bench/nodered/package-lock.json (`npm ci`) into bench/nodered/node_modules on first use.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).parent / "nodered"
RED_JS = HERE / "node_modules" / "node-red" / "red.js"


def node_red() -> list[str] | None:
    """The command that starts Node-RED, installing it first; None without node and npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return None
    if not RED_JS.exists():
        # --ignore-scripts: only optional native add-ons (bcrypt) build; the flow needs none.
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=HERE, check=True
        )
    return [node, str(RED_JS)]


def version() -> str:
    return str(json.loads((RED_JS.parent / "package.json").read_text())["version"])


def write_user_dir(
    user_dir: Path, port: int, *, ui_port: int, raw: str, out_root: str, lines: int, tags: int
) -> list[str]:
    """Flow and settings for one run; returns the arguments after the Node-RED command."""
    user_dir.mkdir(parents=True, exist_ok=True)
    on_start = (
        "const bindings = {};\n"
        f"for (let l = 0; l < {lines}; l++) {{\n"
        f"  for (let t = 0; t < {tags}; t++) {{\n"
        "    const line = 'line' + String(l).padStart(2, '0');\n"
        "    const tag = 'tag' + String(t).padStart(2, '0');\n"
        f"    const rawTopic = '{raw}site1/' + line + '/' + tag;\n"
        "    bindings[rawTopic] = {\n"
        "      raw: rawTopic,\n"
        f"      out: '{out_root}/site1/main/' + line + '/sensor-1/' + tag,\n"
        f"      asset: {{enterprise: '{out_root}', site: 'site1', area: 'main', line: line, "
        "equipment: 'sensor-1'},\n"
        "    };\n"
        "  }\n"
        "}\n"
        "context.set('bindings', bindings);\n"
    )
    broker = {
        "id": "broker",
        "type": "mqtt-broker",
        "name": "bench",
        "broker": "127.0.0.1",
        "port": str(port),
        "clientid": "nodered-bench",
        "autoConnect": True,
        "usetls": False,
        "protocolVersion": "4",
        "keepalive": "60",
        "cleansession": True,
    }
    flow = [
        {"id": "tab", "type": "tab", "label": "bench"},
        broker,
        {
            "id": "in",
            "type": "mqtt in",
            "z": "tab",
            "topic": f"{raw}#",
            "qos": "1",
            "datatype": "utf8",
            "broker": "broker",
            "nl": False,
            "rap": False,
            "inputs": 0,
            "wires": [["enrich"]],
        },
        {
            "id": "enrich",
            "type": "function",
            "z": "tab",
            "func": (HERE / "enrich.js").read_text(),
            "initialize": on_start,
            "outputs": 1,
            "wires": [["out"]],
        },
        {
            "id": "out",
            "type": "mqtt out",
            "z": "tab",
            "topic": "",
            "qos": "1",
            "retain": "false",
            "broker": "broker",
            "wires": [],
        },
    ]
    (user_dir / "flows.json").write_text(json.dumps(flow, indent=1))
    settings = (
        "module.exports = {\n"
        "  flowFile: 'flows.json',\n"
        f"  uiPort: {ui_port},\n"
        "  uiHost: '127.0.0.1',\n"
        "  httpAdminRoot: false,\n"
        "  credentialSecret: false,\n"
        "  logging: {console: {level: 'warn', metrics: false, audit: false}},\n"
        "};\n"
    )
    (user_dir / "settings.js").write_text(settings)
    return ["--userDir", str(user_dir), "--settings", str(user_dir / "settings.js")]
