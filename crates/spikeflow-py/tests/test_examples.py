"""The Python examples run (short settings) and do what they say."""

import runpy
import sys


def _main(root, name):
    return runpy.run_path(str(root / "examples/python" / name), run_name="example")["main"]


def test_eth_mnist_example(root, capsys):
    main = _main(root, "eth_mnist.py")
    all_acc, prop_acc = main(["--n-neurons", "20", "--n-train", "60", "--n-test", "30",
                              "--time", "50", "--update-interval", "30"])
    out = capsys.readouterr().out
    assert "test accuracy on 30 images" in out
    assert 0.0 <= all_acc <= 100.0 and 0.0 <= prop_acc <= 100.0


def test_mstdp_example(root, capsys):
    main = _main(root, "mstdp_reward.py")
    wa, wb, before, after = main(["--trials", "60"])
    assert wa > 4.0 > wb  # rewarded inputs gained, punished ones lost
    assert after[0] > after[1]
    assert "mean weight from A" in capsys.readouterr().out


def test_cartpole_pipeline_example(root, capsys):
    main = _main(root, "cartpole_pipeline.py")
    returns = main(["--episodes", "3", "--time", "10"])
    assert len(returns) == 3 and all(1 <= r <= 200 for r in returns)
    assert "episode    3" in capsys.readouterr().out
