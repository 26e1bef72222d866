#!/usr/bin/env python3
"""The approach the pipeline replaces, measured for the benchmark.

One process, one decode per image, sizes one after another: open, load, then for each size
img.copy(); thumbnail((w, h), LANCZOS); save (JPEG quality 90 with optimised Huffman tables; PNG/WebP
equivalents for those inputs). CPU time per step comes from time.process_time (this process, all threads).

Input (stdin, JSON): {"files": [...], "sizes": [{"label", "width", "height"}], "repetitions": N,
                      "jpegQuality": 90, "webpQuality": 90, "webpMethod": 4,
                      "pngCompressLevel": 6}
Output (stdout, JSON): {"pillowVersion", "python", "results": [{"file", "runs": [{"decodeMs", "sizes": {label: ms}}]}]}
"""
import io
import json
import sys
import time

from PIL import Image, __version__ as PIL_VERSION


def save_like_source(image, source_format, options):
    """Encode in the source's format, as the old job did, into memory (I/O is not what is compared)."""
    out = io.BytesIO()
    if source_format == "PNG":
        image.save(out, "PNG", compress_level=options["pngCompressLevel"])
    elif source_format == "WEBP":
        image.save(out, "WEBP", quality=options["webpQuality"], method=options["webpMethod"])
    else:
        rgb = image if image.mode in ("RGB", "L") else image.convert("RGB")
        rgb.save(out, "JPEG", quality=options["jpegQuality"], optimize=True)
    return out.tell()


def measure(path, sizes, options):
    started = time.process_time()
    source = Image.open(path)
    source_format = source.format
    source.load()
    decode_ms = (time.process_time() - started) * 1000
    per_size = {}
    for size in sizes:
        started = time.process_time()
        derivative = source.copy()
        derivative.thumbnail((size["width"], size["height"]), Image.LANCZOS)
        save_like_source(derivative, source_format, options)
        per_size[size["label"]] = (time.process_time() - started) * 1000
    source.close()
    return {"decodeMs": decode_ms, "sizes": per_size}


def main():
    request = json.load(sys.stdin)
    Image.MAX_IMAGE_PIXELS = None  # the corpus is trusted; the 24-MP inputs are intentional
    options = {
        "jpegQuality": request.get("jpegQuality", 90),
        "webpQuality": request.get("webpQuality", 90),
        "pngCompressLevel": request.get("pngCompressLevel", 6),
        "webpMethod": request.get("webpMethod", 4),
    }
    results = []
    for path in request["files"]:
        runs = [measure(path, request["sizes"], options) for _ in range(request["repetitions"])]
        results.append({"file": path, "runs": runs})
    json.dump({"pillowVersion": PIL_VERSION, "python": sys.version.split()[0], "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
