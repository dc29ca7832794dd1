"""The embedded example county (示例数据) in ``content/``: reproducible, valid and complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.content.libraries import ENTITY_HEADER
from generator.content.loader import load_content
from generator.content.model import Content, EntityType, RegStatus, TaskKind
from generator.content.uscc import CodeStatus, check_registration_number, check_uscc
from generator.example import county

CONTENT = Path(__file__).resolve().parents[2] / "content"
GENERATED = ("entities.csv", "inspectors.csv", "conflicts.yaml")
REGENERATE = "python -m generator.example.county"


@pytest.fixture(scope="module")
def content() -> Content:
    loaded, _problems = load_content(CONTENT)
    return loaded


@pytest.mark.parametrize("name", GENERATED)
def test_generator_reproduces_committed_files(tmp_path: Path, name: str) -> None:
    county.generate(tmp_path)
    committed = (CONTENT / name).read_bytes()
    assert (tmp_path / name).read_bytes() == committed, (
        f"content/{name} differs from the generator's output; "
        f"regenerate it with `{REGENERATE}` and commit the result"
    )


def test_generator_is_deterministic() -> None:
    assert county.render(county.build()) == county.render(county.build())


def test_csv_files_are_excel_friendly(tmp_path: Path) -> None:
    county.generate(tmp_path)
    for name in ("entities.csv", "inspectors.csv"):
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), name
        assert b"\r" not in data, name
    header = (tmp_path / "entities.csv").read_bytes()[3:].split(b"\n", 1)[0].decode()
    assert tuple(header.split(",")) == ENTITY_HEADER


def test_example_loads_without_problems() -> None:
    loaded, problems = load_content(CONTENT)
    assert loaded.site.example is True
    assert "示例数据" in loaded.site.name
    assert loaded.site.region_code == "620823"
    # Published example output must be valid too: sitemaps and feeds need an absolute base URL.
    assert loaded.site.base_url == "https://example.gov.cn/chongxin/gongkai/"
    assert not list(problems.items), [str(p) for p in problems.items]


def test_counts_are_in_range(content: Content) -> None:
    assert 2500 <= len(content.entities) <= 3500
    assert 50 <= len(content.inspectors) <= 70
    assert 8 <= len(content.departments) <= 10
    assert 30 <= len(content.items) <= 40
    tasks = [t for plan in content.plans for t in plan.tasks]
    assert sum(t.kind is TaskKind.JOINT for t in tasks) >= 3
    assert sum(t.kind is TaskKind.SINGLE for t in tasks) >= 2


def test_entity_mix_is_realistic(content: Content) -> None:
    types = [e.entity_type for e in content.entities]
    assert types.count(EntityType.SOLE_TRADER) > len(types) / 2
    assert types.count(EntityType.COOPERATIVE) > 0
    assert sum(e.division == "620823" for e in content.entities) > 0.9 * len(content.entities)
    industries = [i for e in content.entities for i in e.industries]
    assert industries.count("餐饮") >= 150
    assert industries.count("加油站") >= 20
    assert industries.count("药品零售") >= 40


def test_all_codes_are_valid(content: Content) -> None:
    for dept in content.departments:
        assert check_uscc(dept.uscc).status is CodeStatus.VALID, dept.id
        assert dept.uscc.startswith("11620823"), dept.id
    regnos = 0
    for entity in content.entities:
        if len(entity.id) == 18:
            assert check_uscc(entity.id).status is CodeStatus.VALID, entity.id
            assert entity.id[:2] in ("91", "92", "93"), entity.id
            assert entity.id[2:8] == entity.division, entity.id
            assert not entity.legacy_code
        else:
            regnos += 1
            assert entity.entity_type is EntityType.SOLE_TRADER, entity.id
            assert check_registration_number(entity.id).status is CodeStatus.VALID, entity.id
    assert 1 <= regnos <= 20


def test_closed_entities_never_enter_a_pool(content: Content) -> None:
    closed = {
        e.id
        for e in content.entities
        if e.status in (RegStatus.DEREGISTERED, RegStatus.REVOKED, RegStatus.MOVED_OUT)
    }
    statuses = {e.status for e in content.entities}
    assert RegStatus.DEREGISTERED in statuses
    assert RegStatus.REVOKED in statuses
    assert 5 <= len(closed) < 0.1 * len(content.entities)
    for plan in content.plans:
        for task in plan.tasks:
            assert not closed & {e.id for e in content.pool(task)}, task.id


def test_every_task_pool_is_non_empty(content: Content) -> None:
    for plan in content.plans:
        for task in plan.tasks:
            pool = content.pool(task)
            assert pool, task.id
            assert len(pool) >= task.min_count, task.id


def test_conflicts_are_private_pairs(content: Content) -> None:
    assert 3 <= len(content.conflicts) <= 6
    inspectors = {x.id for x in content.inspectors}
    entities = {e.id for e in content.entities}
    for conflict in content.conflicts:
        assert conflict.inspector in inspectors
        assert conflict.entity in entities
        assert conflict.reason
