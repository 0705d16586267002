"""Compute engines beside the local one (Polars + scikit-learn): Apache Spark, imported only when chosen.

An engine reads the input, computes what feeds the model (statistics, the final fit, the assignment of every
customer, the profile aggregates) and hands the pipeline the same typed objects the local steps return.
"""
