"""The jobs a command runs: build the layers, write the maps.

The only stage that sequences reading, computing and writing.
"""
