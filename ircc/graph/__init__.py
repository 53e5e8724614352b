"""Graph pattern mining (Peregrine-style): patterns, data graphs, and queries compiled from the IR.

    from ircc.graph import Pattern, DataGraph
    P = Pattern.parse("a-b b-c c-a")
    G = DataGraph.from_networkx(nx.karate_club_graph())
    ircc.graph.count(G, P)                               # distinct triangles
"""

from ircc.graph.datagraph import DataGraph
from ircc.graph.pattern import MAX_VERTICES, Pattern, PatternError
from ircc.graph.query import GraphQuery, count, exists, match, motifs, query

__all__ = ["MAX_VERTICES", "DataGraph", "GraphQuery", "Pattern", "PatternError", "count", "exists", "match", "motifs",
           "query"]
