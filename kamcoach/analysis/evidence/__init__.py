"""The trained evidence model: features, weights, and its spaCy component.

``features`` turns a unit of a note into feature strings, ``model`` holds the
weights and scores units (numpy only), ``component`` registers the
``kamcoach_evidence`` pipeline component. Training lives in
:mod:`kamcoach.analysis.train`.
"""
