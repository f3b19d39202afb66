"""Shared fixtures for douane's end-to-end tests.

Every test that needs a registry asks for one of these fixtures and gets a
real server process on a free 127.0.0.1 port with its own temp data dir:

  registry          a fresh server for this test (function scope)
  module_registry   one server shared by the tests of a module
  registry_factory  make(extra_args=(), impl=None) -> started Registry; for
                    tests that need flags, several servers or restarts
  distribution      always Debian's docker-registry (CNCF distribution
                    2.8.2), e.g. as the upstream of a copy; skips if absent
  impl              "douane" (default) or "distribution", from the env var
                    DOUANE_E2E_IMPL, so each test can be checked against the
                    reference implementation first.

At teardown every server's stderr is checked: a sanitizer report (ASan,
UBSan, LSan at exit) or, for douane, any 5xx in its access log fails the
test - a 500 is never a right answer here.

The douane binary is $DOUANE_BIN (tests/run exports it) or
./build-test/src/cli/douane.  When it lacks `serve`, douane tests SKIP with
the reason, never pass.

Markers:
  @pytest.mark.douane_only("why")  - the spec (or the douane issue) requires
      it but distribution 2.8.2 deviates; skipped when DOUANE_E2E_IMPL is
      distribution, run against douane.
  @pytest.mark.slow - long tests (10k connections, 100 MiB uploads).
"""
import os
import shutil

import pytest

from regutil import Registry, douane_bin, douane_has

IMPL = os.environ.get("DOUANE_E2E_IMPL", "douane")
if IMPL not in ("douane", "distribution"):
    raise pytest.UsageError(f"DOUANE_E2E_IMPL must be douane or distribution, not {IMPL!r}")


def pytest_configure(config):
    config.addinivalue_line("markers", "douane_only(reason): distribution 2.8.2 deviates from the spec here")
    config.addinivalue_line("markers", "slow: long-running test")


def pytest_collection_modifyitems(config, items):
    for item in items:
        m = item.get_closest_marker("douane_only")
        if m and IMPL != "douane":
            why = m.args[0] if m.args else m.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason=f"douane-only (distribution 2.8.2 deviates: {why})"))


_serve_ok = None


def _need_impl(impl):
    global _serve_ok
    if impl == "distribution":
        if not shutil.which("docker-registry"):
            pytest.skip("docker-registry not installed (apt-get install docker-registry)")
        return
    if _serve_ok is None:
        _serve_ok = douane_has("serve")
    if not _serve_ok:
        pytest.skip(f"douane binary {douane_bin()} missing or has no 'serve' subcommand yet")


@pytest.fixture(scope="session")
def impl():
    return IMPL


@pytest.fixture
def registry_factory(tmp_path_factory):
    started = []

    def make(extra_args=(), impl=None, name="reg"):
        which = impl or IMPL
        _need_impl(which)
        d = tmp_path_factory.mktemp(name) / "data"
        r = Registry(which, d, extra_args)
        r.start()
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()
    bad = [l for r in started for l in r.problems()]
    assert not bad, "server reported errors:\n" + "\n".join(bad[:20])


@pytest.fixture
def registry(registry_factory):
    r = registry_factory()
    yield r
    assert r.alive() or r.proc.returncode in (0, -15), f"server died during test:\n{r.log()}"


@pytest.fixture(scope="module")
def module_registry(tmp_path_factory):
    _need_impl(IMPL)
    r = Registry(IMPL, tmp_path_factory.mktemp("modreg") / "data")
    r.start()
    yield r
    r.stop()
    bad = r.problems()
    assert not bad, "server reported errors:\n" + "\n".join(bad[:20])


@pytest.fixture
def distribution(registry_factory):
    return registry_factory(impl="distribution", name="upstream")
