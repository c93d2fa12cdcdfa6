# nbconvert configuration used by scripts/run-notebooks.sh (`jupyter nbconvert --config <this>`).
#
# tslab reports a failed cell (a TypeScript compile error or an exception) only as text on the
# cell's stderr; its execute_reply carries no ename/evalue/traceback, so nbconvert's own message
# says just "<Error>:". This hook prints the failing cell's text output, so the cause is in the log.
import sys


def _print_failing_cell_output(cell=None, cell_index=None, execute_reply=None, **_):
    text = []
    for out in (cell or {}).get("outputs", []):
        if out.get("output_type") == "stream":
            text.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            text.append("\n".join(out.get("traceback") or [f"{out.get('ename')}: {out.get('evalue')}"]))
    body = "".join(text).rstrip()
    sys.stderr.write(
        f"----- output of failing cell {cell_index} (tslab) -----\n"
        f"{body[-8000:] if body else '(no output)'}\n"
        "----- end of cell output -----\n"
    )
    sys.stderr.flush()


c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)
c.ExecutePreprocessor.on_cell_error = _print_failing_cell_output
