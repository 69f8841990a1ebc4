"""Georeferenced and multiband rasters (GeoTIFF, Sentinel-1 and Landsat style
scenes) read through GDAL: footprint in WGS 84, centre, bands, display scaling.

A TIFF that Pillow would show as it is and that is not placed on the Earth stays
on Pillow's path (catalogue.ingest.imaging: `process_raster` answers None); every
other TIFF is checked here against the limits before any pixel is read, and
becomes an ordinary ProcessedImage carrying its `footprint` and `raster`
description (reading.py, footprint.py, scaling.py); its thumbnails are made from
the shown bands read at thumbnail size, from its own overviews when it has them,
in bounded memory (decimated.py).
"""

from catalogue.ingest.georaster.process import process_raster

__all__ = ["process_raster"]
