"""The torch threads that embed passages: AUDITQA_EMBED_THREADS, else OMP_NUM_THREADS, else the free cores."""

import os

import pytest

from ingest import embedding
from ingest.config import Settings


@pytest.mark.parametrize(("load", "expected"), [(0.2, 2), (0.6, 1), (1.4, 1), (9.0, 1)])
def test_passage_threads_are_the_cores_other_work_leaves_free(monkeypatch, load, expected):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert embedding.passage_threads() == expected


def test_omp_num_threads_wins_over_the_rule(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert embedding.passage_threads() == 3


def test_the_setting_reaches_the_embedder(monkeypatch, tmp_path):
    monkeypatch.setenv("AUDITQA_EMBED_THREADS", "2")
    assert Settings(home=tmp_path).embed_threads == 2
    assert Settings(home=tmp_path, embed_threads=0).embed_threads == 0
