"""Taillard's job-shop generator (Benchmarks for basic scheduling problems, EJOR 64, 1993), exactly.

The random stream is the minimal-standard linear congruential generator (a = 16807, m = 2^31 − 1, computed
with Schrage's decomposition as in the published code); a draw in [low, high] is
low + floor(seed / m × (high − low + 1)). Processing times come first from the time seed, job by job, each
U[1, 99]; then every job's route starts as machines 1..m and, for each position j, swaps position j with a
position drawn U[j, m] from the machine seed. The published instances ta01–ta80 are these draws for the
seeds below.
"""

from __future__ import annotations

_A, _M = 16807, 2**31 - 1
_Q, _R = _M // _A, _M % _A  # 127773, 2836


class TaillardStream:
    """Taillard's random stream from one seed."""

    def __init__(self, seed: int) -> None:
        if not 0 < seed < _M:
            raise ValueError(f"a Taillard seed must lie in 1..{_M - 1}, not {seed}")
        self.seed = seed

    def uniform(self, low: int, high: int) -> int:
        """The next integer in [low, high]."""
        k = self.seed // _Q
        self.seed = _A * (self.seed % _Q) - k * _R
        if self.seed < 0:
            self.seed += _M
        return low + int(self.seed / _M * (high - low + 1))


def taillard_jobshop(jobs: int, machines: int, time_seed: int, machine_seed: int) -> list[list[tuple[int, int]]]:
    """Routes of a Taillard job shop: per job, (machine index from 0, duration) in processing order."""
    times = TaillardStream(time_seed)
    durations = [[times.uniform(1, 99) for _ in range(machines)] for _ in range(jobs)]
    order = TaillardStream(machine_seed)
    routes = []
    for j in range(jobs):
        route = list(range(machines))
        for k in range(machines):
            other = order.uniform(k, machines - 1)
            route[k], route[other] = route[other], route[k]
        routes.append([(route[k], durations[j][k]) for k in range(machines)])
    return routes


#: (jobs, machines, time seed, machine seed) of ta01–ta80, in order (Taillard 1993, Table 8).
TA_SEEDS: tuple[tuple[int, int, int, int], ...] = (
    (15, 15, 840612802, 398197754),
    (15, 15, 1314640371, 386720536),
    (15, 15, 1227221349, 316176388),
    (15, 15, 342269428, 1806358582),
    (15, 15, 1603221416, 1501949241),
    (15, 15, 1357584978, 1734077082),
    (15, 15, 44531661, 1374316395),
    (15, 15, 302545136, 2092186050),
    (15, 15, 1153780144, 1393392374),
    (15, 15, 73896786, 1544979948),
    (20, 15, 533484900, 317419073),
    (20, 15, 1894307698, 1474268163),
    (20, 15, 874340513, 509669280),
    (20, 15, 1124986343, 1209573668),
    (20, 15, 1463788335, 529048107),
    (20, 15, 1056908795, 25321885),
    (20, 15, 195672285, 1717580117),
    (20, 15, 961965583, 1353003786),
    (20, 15, 1610169733, 1734469503),
    (20, 15, 532794656, 998486810),
    (20, 20, 1035939303, 773961798),
    (20, 20, 5997802, 1872541150),
    (20, 20, 1357503601, 722225039),
    (20, 20, 806159563, 1166962073),
    (20, 20, 1902815253, 1879990068),
    (20, 20, 1503184031, 1850351876),
    (20, 20, 1032645967, 99711329),
    (20, 20, 229894219, 1158117804),
    (20, 20, 823349822, 108033225),
    (20, 20, 1297900341, 489486403),
    (30, 15, 98640593, 1981283465),
    (30, 15, 1839268120, 248890888),
    (30, 15, 573875290, 2081512253),
    (30, 15, 1670898570, 788294565),
    (30, 15, 1118914567, 1074349202),
    (30, 15, 178750207, 294279708),
    (30, 15, 1549372605, 596993084),
    (30, 15, 798174738, 151685779),
    (30, 15, 553410952, 1329272528),
    (30, 15, 1661531649, 1173386294),
    (30, 20, 1841414609, 1357882888),
    (30, 20, 2116959593, 1546338557),
    (30, 20, 796392706, 1230864158),
    (30, 20, 532496463, 254174057),
    (30, 20, 2020525633, 978943053),
    (30, 20, 524444252, 185526083),
    (30, 20, 1569394691, 487269855),
    (30, 20, 1460267840, 1631446539),
    (30, 20, 198324822, 1937476577),
    (30, 20, 38071822, 1541985579),
    (50, 15, 17271, 718939),
    (50, 15, 660481279, 449650254),
    (50, 15, 352229765, 949737911),
    (50, 15, 1197518780, 166840558),
    (50, 15, 1376020303, 483922052),
    (50, 15, 2106639239, 955932362),
    (50, 15, 1765352082, 1209982549),
    (50, 15, 1105092880, 1349003108),
    (50, 15, 907248070, 919544535),
    (50, 15, 2011630757, 1845447001),
    (50, 20, 8493988, 2738939),
    (50, 20, 1991925010, 709517751),
    (50, 20, 342093237, 786960785),
    (50, 20, 1634043183, 973178279),
    (50, 20, 341706507, 286513148),
    (50, 20, 320167954, 1411193018),
    (50, 20, 1089696753, 298068750),
    (50, 20, 433032965, 1589656152),
    (50, 20, 615974477, 331205412),
    (50, 20, 236150141, 592292984),
    (100, 20, 302034063, 1203569070),
    (100, 20, 1437643198, 1692025209),
    (100, 20, 1792475497, 1039908559),
    (100, 20, 1647273132, 1012841433),
    (100, 20, 696480901, 1689682358),
    (100, 20, 1785569423, 1092647459),
    (100, 20, 117806902, 739059626),
    (100, 20, 1639154709, 1319962509),
    (100, 20, 2007423389, 749368241),
    (100, 20, 682761130, 262763021),
)


def ta_instance(number: int) -> list[list[tuple[int, int]]]:
    """The routes of ta<number> (1..80) from its published seeds."""
    jobs, machines, time_seed, machine_seed = TA_SEEDS[number - 1]
    return taillard_jobshop(jobs, machines, time_seed, machine_seed)
