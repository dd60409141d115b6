"""The sky in HEALPix shards: order-29 indices and adaptive shard sets (``healpix``), zones
neighbour searches (``zones``), and the map/reduce partition of files into shards with margins
(``partition``)."""
