"""Graph pattern mining (Peregrine-style): patterns, data graphs, and (to come) queries compiled from the IR.

    from ircc.graph import Pattern, DataGraph
    P = Pattern.parse("a-b b-c c-a")
    G = DataGraph.from_networkx(nx.karate_club_graph())
"""

from ircc.graph.datagraph import DataGraph
from ircc.graph.pattern import MAX_VERTICES, Pattern, PatternError

__all__ = ["MAX_VERTICES", "DataGraph", "Pattern", "PatternError"]
