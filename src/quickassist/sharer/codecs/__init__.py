"""Tile codecs: the BGRA pixels of changed tiles in, `Tile`s of the video payload out.

- `base.py`: the two seams: `TileEncoder` (a frame's changed tiles -> tiles, what the pipeline
  holds) and `TileCodec` (one image codec for one run of tiles), with the `TileJob` it is given;
- `adaptive.py`: `AdaptiveTileEncoder`, which judges each tile by its colours (one: SOLID, a
  handful: palette, more: PNG, many: JPEG), merges neighbours and hands each run to a codec;
- `palette.py`, `png.py`, `jpeg.py`: one module per image codec.

Only the sharer imports these (they need numpy and simplejpeg); the formats they write are in
`protocol/` (`media.py`, `palette.py`), which the service reads without numpy.
"""
