"""The README's Python example runs to completion."""

import runpy


def test_guide_runs(root, capsys):
    runpy.run_path(str(root / "examples/python/guide.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "poisson" in out and "bernoulli" in out and "weights (100, 1000)" in out
