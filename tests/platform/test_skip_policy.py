"""The skip policy (tests/skip_policy.py): a skip for a missing tool fails, a GPU skip stays a skip."""

TESTS = """
import pytest

def test_needs_nginx():
    pytest.skip("nginx is not installed")

def test_needs_mmpose():
    pytest.skip("mmpose is not installed")

@pytest.mark.skipif(True, reason="needs CUDA")
def test_needs_a_gpu():
    pass

@pytest.mark.xfail(reason="a known fault", strict=True)
def test_known_fault():
    assert False

def test_plain():
    assert True
"""


def test_a_skip_for_a_missing_tool_fails_and_a_cuda_skip_does_not(pytester):
    pytester.makepyfile(test_skips=TESTS)
    result = pytester.runpytest_inprocess(
        "-p", "tests.skip_policy", "-p", "no:django", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1, failed=2, skipped=1, xfailed=1)
    result.stdout.fnmatch_lines(["*test_needs_nginx was skipped*nginx is not installed*"])
    # mmpose is installed by bin/test (with mmcv's CPU operators): its tests run, they never skip.
    result.stdout.fnmatch_lines(["*test_needs_mmpose was skipped*mmpose is not installed*"])
