"""Reference layers: terrain, hydrology, water protection, the gazetteer and OpenStreetMap: what the world is."""
