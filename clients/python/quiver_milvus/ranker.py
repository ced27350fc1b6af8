"""Hybrid search requests and rankers with pymilvus's names."""


class AnnSearchRequest:
    def __init__(self, data, anns_field, param=None, limit=10, expr=None, **kwargs):
        self.data, self.anns_field, self.param, self.limit = data, anns_field, dict(param or {}), limit
        self.expr = expr if expr is not None else kwargs.get("filter")
        self.expr_params = kwargs.get("expr_params")

    def to_quiver(self, encode):
        req = {"data": encode(self.data), "anns_field": self.anns_field, "limit": int(self.limit)}
        if self.expr:
            req["filter"] = self.expr
        if self.expr_params:
            req["filter_params"] = encode(self.expr_params)
        params = dict(self.param.get("params", {}))
        if "metric_type" in self.param:
            params["metric_type"] = self.param["metric_type"]
        if params:
            req["params"] = params
        return req


class RRFRanker:
    def __init__(self, k=60):
        self.name, self.params = "rrf", {"k": k}


class WeightedRanker:
    def __init__(self, *weights, **kwargs):
        self.name, self.params = "weighted", {"weights": list(weights)}
        if "norm_score" in kwargs:
            self.params["norm_score"] = kwargs["norm_score"]
