"""Tests for the effective-dated org tree (perfkit._org)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise

import pendulum
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from perfkit._org import Membership, OrgTree
from perfkit.errors import InvalidValueError, OrgTreeError

JAN = date(2024, 1, 1)
MOVE = date(2024, 7, 1)

PATHS = [
    "company/east/team-3/rep-17",
    "company/east/team-3/rep-12",
    "company/east/team-1/rep-5",
    "company/west/team-4/rep-18",
]


@pytest.fixture
def static_tree() -> OrgTree:
    return OrgTree.from_paths(PATHS)


@pytest.fixture
def moving_tree() -> OrgTree:
    """rep-17 moves from team-3 (east) to team-4 (west) on 2024-07-01."""
    return OrgTree(
        [
            *(Membership(n, p) for p, n in [("company", "east"), ("company", "west")]),
            Membership("team-3", "east"),
            Membership("team-4", "west"),
            Membership("rep-17", "team-3", None, MOVE),
            Membership("rep-17", "team-4", MOVE, None),
            Membership("rep-9", "team-3", date(2024, 3, 1), date(2024, 9, 1)),
        ]
    )


# -- static trees from paths -----------------------------------------------------


def test_from_paths_builds_the_chain_of_each_path(static_tree: OrgTree) -> None:
    """Each path segment is a node under the segment before it; the first is a root."""
    assert static_tree.ancestors("rep-17", JAN) == ("team-3", "east", "company")
    assert static_tree.parent("team-4", JAN) == "west"
    assert static_tree.parent("company", JAN) is None
    assert static_tree.roots(JAN) == ("company",)
    assert static_tree.depth("rep-5", JAN) == 3
    assert static_tree.depth("company", JAN) == 0


def test_from_paths_tree_is_the_same_on_every_date(static_tree: OrgTree) -> None:
    """A tree built from paths has open-ended memberships, so any date gives the same answer."""
    for day in (date(1900, 1, 1), JAN, date(2999, 12, 31)):
        assert static_tree.path("rep-18", day) == "company/west/team-4/rep-18"


def test_from_paths_accepts_repeated_and_prefix_paths() -> None:
    """Repeating a path, or giving a prefix of another, adds nothing new."""
    tree = OrgTree.from_paths(["a/b/c", "a/b", "a/b/c", "a"])
    assert tree.nodes(JAN) == ("a", "b", "c")


def test_from_paths_rejects_an_id_under_two_parents() -> None:
    """The same id under two different parents names the node and both paths."""
    with pytest.raises(OrgTreeError) as info:
        OrgTree.from_paths(["company/east/team-3", "company/west/team-3"])
    message = str(info.value)
    assert "'team-3'" in message
    assert "'company/east/team-3'" in message
    assert "'company/west/team-3'" in message


def test_from_paths_rejects_empty_segments_and_lists_every_problem() -> None:
    """Empty segments and conflicting parents are all reported in one error."""
    with pytest.raises(OrgTreeError) as info:
        OrgTree.from_paths(["a//b", "/x", "a/c", "b/c", ""])
    message = str(info.value)
    assert "(4 problems)" in message
    assert "'a//b'" in message
    assert "'/x'" in message
    assert "node 'c' is under 'a' in 'a/c' but under 'b' in 'b/c'" in message


def test_children_are_sorted(static_tree: OrgTree) -> None:
    """children() returns ids in sorted order, whatever the input order."""
    assert static_tree.children("team-3", JAN) == ("rep-12", "rep-17")
    assert static_tree.children("rep-12", JAN) == ()


def test_descendants_are_depth_first_pre_order_with_sorted_children(static_tree: OrgTree) -> None:
    """descendants() walks depth first, each node before its children, siblings sorted."""
    assert static_tree.descendants("company", JAN) == (
        "east",
        "team-1",
        "rep-5",
        "team-3",
        "rep-12",
        "rep-17",
        "west",
        "team-4",
        "rep-18",
    )
    assert static_tree.subtree("team-3", JAN) == ("team-3", "rep-12", "rep-17")


def test_path_and_find_round_trip(static_tree: OrgTree) -> None:
    """find(path(n)) is n for every node."""
    for node in static_tree.nodes(JAN):
        assert static_tree.find(static_tree.path(node, JAN), JAN) == node
    assert static_tree.path("rep-17", JAN) == "company/east/team-3/rep-17"


def test_find_checks_every_link(static_tree: OrgTree) -> None:
    """A path whose chain is not the tree's is refused, naming where the node really is."""
    with pytest.raises(OrgTreeError, match=r"'team-3' is at 'company/east/team-3'"):
        static_tree.find("company/west/team-3", JAN)
    with pytest.raises(OrgTreeError, match="is at 'company/east/team-3'"):
        static_tree.find("east/team-3", JAN)


def test_find_reports_unknown_segments_and_empty_ones(static_tree: OrgTree) -> None:
    """An unknown segment gets a did-you-mean hint; an empty segment is refused."""
    with pytest.raises(OrgTreeError, match=r"unknown node 'esat'; did you mean .*'east'"):
        static_tree.find("company/esat/team-3", JAN)
    with pytest.raises(OrgTreeError, match="not a path"):
        static_tree.find("company//team-3", JAN)


# -- effective dating ------------------------------------------------------------------


def test_a_move_applies_from_its_start_date(moving_tree: OrgTree) -> None:
    """The day before a move gives the old parent; the move date itself gives the new one."""
    assert moving_tree.parent("rep-17", MOVE - timedelta(days=1)) == "team-3"
    assert moving_tree.parent("rep-17", MOVE) == "team-4"
    assert moving_tree.path("rep-17", MOVE) == "company/west/team-4/rep-17"
    assert moving_tree.ancestors("rep-17", "2024-06-30") == ("team-3", "east", "company")


def test_membership_end_is_exclusive(moving_tree: OrgTree) -> None:
    """On a membership's end date the old parent no longer applies."""
    assert "rep-17" not in moving_tree.children("team-3", MOVE)
    assert "rep-17" in moving_tree.children("team-3", MOVE - timedelta(days=1))
    assert "rep-17" in moving_tree.children("team-4", MOVE)


def test_join_and_leave_dates_bound_presence(moving_tree: OrgTree) -> None:
    """A node is in the tree from its join date and gone on its leave date."""
    assert not moving_tree.contains("rep-9", date(2024, 2, 29))
    assert moving_tree.contains("rep-9", date(2024, 3, 1))
    assert moving_tree.contains("rep-9", date(2024, 8, 31))
    assert not moving_tree.contains("rep-9", date(2024, 9, 1))
    assert "rep-9" in moving_tree
    assert "rep-99" not in moving_tree
    assert not moving_tree.contains("rep-99", JAN)
    assert "rep-9" in moving_tree.nodes(MOVE)
    assert "rep-9" not in moving_tree.nodes(JAN)


def test_query_before_joining_says_so(moving_tree: OrgTree) -> None:
    """A query before a node joined names the node, the date, and the ranges it has."""
    with pytest.raises(OrgTreeError) as info:
        moving_tree.ancestors("rep-9", JAN)
    message = str(info.value)
    assert "'rep-9' is not in the tree on 2024-01-01" in message
    assert "before it joined on 2024-03-01" in message
    assert "[2024-03-01, 2024-09-01) under 'team-3'" in message


def test_query_after_leaving_says_so(moving_tree: OrgTree) -> None:
    """Every per-node query refuses a date after the node left, saying when it left."""
    day = date(2024, 9, 1)
    for query in (
        moving_tree.parent,
        moving_tree.ancestors,
        moving_tree.children,
        moving_tree.descendants,
        moving_tree.path,
        moving_tree.depth,
    ):
        with pytest.raises(OrgTreeError, match="after it left on 2024-09-01"):
            query("rep-9", day)


def test_moving_a_team_moves_its_members() -> None:
    """When a team changes parent, its members' ancestors change on the same date."""
    tree = OrgTree(
        [
            Membership("team", "east", None, MOVE),
            Membership("team", "west", MOVE),
            Membership("rep", "team"),
        ]
    )
    assert tree.ancestors("rep", JAN) == ("team", "east")
    assert tree.ancestors("rep", MOVE) == ("team", "west")
    assert tree.roots(JAN) == ("east", "west")
    assert tree.descendants("west", JAN) == ()
    assert tree.descendants("west", MOVE) == ("team", "rep")


def test_roots_change_with_dates() -> None:
    """A node is a root only while it has a membership without a parent."""
    tree = OrgTree(
        [
            Membership("old-co", None, None, MOVE),
            Membership("new-co", None, MOVE),
            Membership("sales", "old-co", None, MOVE),
            Membership("sales", "new-co", MOVE),
        ]
    )
    assert tree.roots(JAN) == ("old-co",)
    assert tree.roots(MOVE) == ("new-co",)
    assert tree.nodes(MOVE) == ("new-co", "sales")


def test_two_nodes_may_swap_places_over_time() -> None:
    """A under B, then B under A, is valid: there is no cycle on any single date."""
    tree = OrgTree(
        [
            Membership("a", "b", None, MOVE),
            Membership("a", None, MOVE),
            Membership("b", None, None, MOVE),
            Membership("b", "a", MOVE),
            Membership("c", "a"),
        ]
    )
    assert tree.ancestors("c", JAN) == ("a", "b")
    assert tree.ancestors("c", MOVE) == ("a",)
    assert tree.ancestors("b", MOVE) == ("a",)
    assert tree.subtree("a", MOVE) == ("a", "b", "c")


def test_history_is_sorted_by_start(moving_tree: OrgTree) -> None:
    """history() gives a node's memberships earliest first; a parent-only id is an open root."""
    later = Membership("rep-17", "team-4", MOVE, None)
    earlier = Membership("rep-17", "team-3", None, MOVE)
    assert moving_tree.history("rep-17") == (earlier, later)
    assert moving_tree.history("company") == (Membership("company", None),)


def test_queries_accept_iso_strings_and_pendulum_dates(moving_tree: OrgTree) -> None:
    """'YYYY-MM-DD' strings and pendulum dates mean the same day as a datetime.date."""
    assert moving_tree.parent("rep-17", "2024-07-01") == "team-4"
    assert moving_tree.parent("rep-17", pendulum.date(2024, 6, 30)) == "team-3"
    assert moving_tree.ancestors("rep-17", pendulum.date(2024, 7, 1)) == (
        "team-4",
        "west",
        "company",
    )
    assert moving_tree.roots("2024-07-01") == ("company",)


@pytest.mark.parametrize("bad", ["2024-13-01", "2024/01/01", "20240101", "", 20240101, None])
def test_bad_query_dates_raise_invalid_value_error(moving_tree: OrgTree, bad: object) -> None:
    """A query date that is not a date or 'YYYY-MM-DD' raises InvalidValueError naming it."""
    with pytest.raises(InvalidValueError, match="expected a date"):
        moving_tree.ancestors("rep-17", bad)  # type: ignore[arg-type]


def test_datetimes_are_refused(moving_tree: OrgTree) -> None:
    """A datetime is refused rather than silently truncated to its day."""
    with pytest.raises(InvalidValueError, match="datetime"):
        moving_tree.parent("rep-17", datetime(2024, 7, 1, 12))


def test_unknown_node_suggests_close_ids(moving_tree: OrgTree) -> None:
    """An unknown id raises OrgTreeError with a did-you-mean suggestion."""
    with pytest.raises(OrgTreeError, match=r"unknown node 'rep-71'; did you mean 'rep-17'"):
        moving_tree.ancestors("rep-71", JAN)
    with pytest.raises(OrgTreeError, match=r"unknown node 'zzz'$"):
        moving_tree.children("zzz", JAN)
    with pytest.raises(OrgTreeError, match="unknown node"):
        moving_tree.history("nobody")


def test_from_records_parses_string_dates_and_empty_values() -> None:
    """Records may use ISO strings; an empty parent is a root and empty dates are open."""
    tree = OrgTree.from_records(
        [
            {"node": "co", "parent": "", "start": "", "end": None},
            {"node": "rep", "parent": "co", "start": "2024-01-01", "end": "2024-07-01"},
            {"node": "rep", "parent": "co", "start": "2024-07-01"},
        ]
    )
    assert tree.roots("2023-01-01") == ("co",)
    assert tree.history("rep")[0] == Membership("rep", "co", JAN, MOVE)
    assert not tree.contains("rep", "2023-12-31")


def test_from_records_lists_every_bad_record() -> None:
    """Unknown keys, bad dates, bad ids and non-mappings are all reported, by record number."""
    with pytest.raises(OrgTreeError) as info:
        OrgTree.from_records(
            [
                {"node": "a", "strat": "2024-01-01"},
                {"node": "b", "start": "2024-02-30"},
                {"parent": "a"},
                ["c", "a"],  # type: ignore[list-item]
            ]
        )
    message = str(info.value)
    assert "record 0: unknown key(s) strat" in message
    assert "record 1 ('b'): start: expected a date" in message
    assert "record 2 (None): node id must be a str" in message
    assert "record 3: expected a mapping, got list" in message


# -- validation at construction ----------------------------------------------------------


def test_overlapping_memberships_name_node_parents_and_dates() -> None:
    """Two parents at the same date are refused, naming the node, both parents and the overlap."""
    with pytest.raises(OrgTreeError) as info:
        OrgTree(
            [
                Membership("rep", "team-a", JAN, date(2024, 8, 1)),
                Membership("rep", "team-b", MOVE),
            ]
        )
    message = str(info.value)
    assert "node 'rep' has two parents at once" in message
    assert "under 'team-a' on [2024-01-01, 2024-08-01)" in message
    assert "under 'team-b' on [2024-07-01, open)" in message
    assert "overlap on [2024-07-01, 2024-08-01)" in message


def test_cycles_name_their_nodes_and_start_date() -> None:
    """A cycle is reported once, with its nodes in order and the date it starts."""
    with pytest.raises(OrgTreeError) as info:
        OrgTree(
            [
                Membership("a", "b"),
                Membership("b", "c"),
                Membership("c", None, None, MOVE),
                Membership("c", "a", MOVE, date(2024, 9, 1)),
                Membership("c", None, date(2024, 9, 1)),
            ]
        )
    message = str(info.value)
    assert message == (
        "invalid org tree: cycle starting 2024-07-01 until 2024-09-01: "
        "'a' -> 'b' -> 'c' -> 'a' (each under the next)"
    )


def test_undated_cycle_is_reported() -> None:
    """A cycle with no dates at all is reported as starting before any dated membership."""
    with pytest.raises(OrgTreeError, match="cycle starting before any dated membership: 'x'"):
        OrgTree([Membership("x", "y"), Membership("y", "x")])


def test_self_parent_is_refused() -> None:
    """A node cannot be its own parent."""
    with pytest.raises(OrgTreeError, match="node 'a' is its own parent on all dates"):
        OrgTree([Membership("a", "a")])


def test_bad_ids_are_refused() -> None:
    """Empty ids, ids containing '/', and non-str ids are refused, each named."""
    with pytest.raises(OrgTreeError) as info:
        OrgTree(
            [
                Membership("", None),
                Membership("a/b", None),
                Membership("c", "d/e"),
                Membership(7, None),  # type: ignore[arg-type]
            ]
        )
    message = str(info.value)
    assert "membership 0 (''): node id is empty" in message
    assert "membership 1 ('a/b'): node id 'a/b' contains '/'" in message
    assert "membership 2 ('c'): parent id 'd/e' contains '/'" in message
    assert "membership 3 (7): node id must be a str, got int 7" in message


def test_start_must_be_before_end() -> None:
    """A membership whose start is on or after its end is refused."""
    with pytest.raises(OrgTreeError, match=r"start 2024-07-01 is not before end 2024-07-01"):
        OrgTree([Membership("a", None, MOVE, MOVE)])


def test_a_parent_must_be_in_the_tree_while_a_child_is_under_it() -> None:
    """A child under a parent that has left (or not yet joined) is refused, with the dates."""
    with pytest.raises(OrgTreeError) as info:
        OrgTree([Membership("team", None, None, MOVE), Membership("rep", "team", JAN)])
    assert str(info.value) == (
        "invalid org tree: node 'rep' is under 'team' on [2024-07-01, open) but 'team' is "
        "not in the tree then (it is on [open, 2024-07-01))"
    )


def test_every_problem_is_listed_together() -> None:
    """Construction reports all problems at once, one per line, with a count."""
    with pytest.raises(OrgTreeError) as info:
        OrgTree(
            [
                Membership("a", "a"),
                Membership("", None),
                Membership("b", "c"),
                Membership("c", "b"),
                Membership("d", "x"),
                Membership("d", "y"),
                "not a membership",  # type: ignore[list-item]
            ]
        )
    lines = str(info.value).splitlines()
    assert lines[0] == "invalid org tree (5 problems):"
    assert all(line.startswith("  - ") for line in lines[1:])
    assert len(lines) == 6


def test_membership_dates_may_be_strings_or_pendulum_dates() -> None:
    """Membership bounds given as ISO strings or pendulum dates are accepted and normalised."""
    tree = OrgTree(
        [
            Membership("a", None, "2024-01-01", pendulum.date(2024, 7, 1)),  # type: ignore[arg-type]
        ]
    )
    assert tree.history("a")[0].start == JAN
    assert tree.contains("a", "2024-06-30")
    assert not tree.contains("a", MOVE)


def test_org_tree_error_is_an_invalid_value_error() -> None:
    """OrgTreeError can be caught as InvalidValueError or ValueError."""
    with pytest.raises(ValueError, match="its own parent"):
        OrgTree([Membership("a", "a")])


# -- properties -----------------------------------------------------------------------------

BASE = date(2024, 1, 1)
Forest = tuple[list[Membership], list[date]]


@st.composite
def forests(draw: st.DrawFn) -> Forest:
    """A valid effective-dated forest, built epoch by epoch, and dates worth asking about.

    In each epoch the nodes come in a random order and each may only sit under an
    earlier one (or a parent-only root), so every date is acyclic, while nodes
    may still swap places between epochs.
    """
    names = [f"n{k}" for k in range(draw(st.integers(1, 7)))]
    tops = [f"top{k}" for k in range(draw(st.integers(0, 2)))]
    cuts = [BASE + timedelta(days=c) for c in sorted(draw(st.sets(st.integers(1, 60), max_size=4)))]
    first = None if draw(st.booleans()) else BASE
    final = None if draw(st.booleans()) else BASE + timedelta(days=61)
    edges = [first, *cuts, final]
    members: list[Membership] = []
    for start, end in pairwise(edges):
        placed: list[str] = []
        for name in draw(st.permutations(names)):
            if draw(st.integers(0, 4)) == 0:
                continue  # absent in this epoch
            candidates = placed + tops
            pick = draw(st.integers(-1, len(candidates) - 1))
            members.append(Membership(name, None if pick < 0 else candidates[pick], start, end))
            placed.append(name)
    days = {BASE - timedelta(days=1), BASE + timedelta(days=61), BASE + timedelta(days=400)}
    for cut in [BASE, *cuts]:
        days |= {cut, cut - timedelta(days=1), cut + timedelta(days=1)}
    return members, sorted(days)


def _covers(m: Membership, day: date) -> bool:
    return (m.start is None or m.start <= day) and (m.end is None or day < m.end)


def naive_nodes(members: list[Membership], day: date) -> set[str]:
    """Reference: nodes with a membership covering ``day``, plus parent-only ids."""
    explicit = {m.node for m in members}
    implicit = {m.parent for m in members if m.parent is not None} - explicit
    return {m.node for m in members if _covers(m, day)} | implicit


def naive_ancestors(members: list[Membership], node: str, day: date) -> tuple[str, ...]:
    """Reference: scan every membership at each step up, remembering nothing."""
    chain: list[str] = []
    current = node
    while True:
        parents = [m.parent for m in members if m.node == current and _covers(m, day)]
        assert len(parents) <= 1
        if not parents or parents[0] is None:
            return tuple(chain)
        current = parents[0]
        chain.append(current)


@given(forests())
def test_ancestors_agree_with_a_naive_scan(forest: Forest) -> None:
    """ancestors(n, d) equals a naive walk over all memberships, and absent nodes raise."""
    members, days = forest
    tree = OrgTree(members)
    everyone = {m.node for m in members} | {m.parent for m in members if m.parent}
    for day in days:
        present = naive_nodes(members, day)
        assert set(tree.nodes(day)) == present
        for node in sorted(everyone):
            if node in present:
                assert tree.ancestors(node, day) == naive_ancestors(members, node, day)
                assert tree.contains(node, day)
            else:
                with pytest.raises(OrgTreeError, match="not in the tree on"):
                    tree.ancestors(node, day)


@given(forests())
def test_every_path_starts_at_a_root_and_finds_its_node(forest: Forest) -> None:
    """path(n, d) starts at one of roots(d), ends at n, and find() maps it back to n."""
    members, days = forest
    tree = OrgTree(members)
    for day in days:
        roots = set(tree.roots(day))
        for node in tree.nodes(day):
            path = tree.path(node, day)
            assert path.split("/")[0] in roots
            assert path.split("/")[-1] == node
            assert tree.find(path, day) == node
            assert tree.depth(node, day) == path.count("/")


@given(forests())
def test_subtrees_of_the_roots_partition_the_nodes(forest: Forest) -> None:
    """The subtrees of roots(d) together hold every node of nodes(d) exactly once."""
    members, days = forest
    tree = OrgTree(members)
    for day in days:
        covered = [n for root in tree.roots(day) for n in tree.subtree(root, day)]
        assert sorted(covered) == list(tree.nodes(day))


@given(forests())
def test_children_and_parent_agree(forest: Forest) -> None:
    """c is in children(p, d) exactly when parent(c, d) is p."""
    members, days = forest
    tree = OrgTree(members)
    for day in days:
        for node in tree.nodes(day):
            for child in tree.children(node, day):
                assert tree.parent(child, day) == node
            up = tree.parent(node, day)
            assert up is None or node in tree.children(up, day)


@given(forests(), st.data())
def test_construction_rejects_a_membership_that_creates_a_cycle(
    forest: Forest, data: st.DataObject
) -> None:
    """Putting a node under one of its own descendants from some date on is refused as a cycle."""
    members, days = forest
    tree = OrgTree(members)
    day = data.draw(st.sampled_from(days))
    uppers = [n for n in tree.nodes(day) if tree.descendants(n, day)]
    assume(uppers)
    node = data.draw(st.sampled_from(uppers))
    below = data.draw(st.sampled_from(tree.descendants(node, day)))
    current = [m for m in members if m.node == node and _covers(m, day)]
    if current:
        (old,) = current
        members = [m for m in members if m != old]
        if old.start is None or old.start < day:
            members.append(Membership(node, old.parent, old.start, day))
        members.append(Membership(node, below, day, old.end))
    else:  # a parent-only root: keep it present, under its descendant from ``day``
        members += [Membership(node, None, None, day), Membership(node, below, day)]
    with pytest.raises(OrgTreeError, match="cycle starting") as info:
        OrgTree(members)
    assert repr(node) in str(info.value)
    assert repr(below) in str(info.value)


def test_deep_chains_do_not_hit_the_recursion_limit() -> None:
    """A chain deeper than Python's recursion limit still answers, even below a swap."""
    ids = [f"n{k}" for k in range(1500)]
    chain = [Membership(n, up) for up, n in pairwise(ids)]
    swap = [
        Membership("n0", "top", None, MOVE),
        Membership("n0", None, MOVE),
        Membership("top", None, None, MOVE),
        Membership("top", "n0", MOVE),
    ]
    tree = OrgTree(chain + swap)
    assert tree.depth("n1499", JAN) == 1500
    assert tree.ancestors("n1499", MOVE)[-1] == "n0"
    assert tree.path("n1499", MOVE).startswith("n0/n1/n2/")
