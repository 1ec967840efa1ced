"""Per-document CJK font subsets, so a Chinese certificate is small and quick.

WeasyPrint subsets the fonts it embeds, but it keeps glyph ids: with a CJK
font of 65,535 glyphs every glyph id up to the highest one used stays in the
file, about 250 KB per face, and subsetting the whole face costs more time than
laying out the page. So before WeasyPrint sees the page we cut the system font
(found through fontconfig) down to exactly the characters of this document with
HarfBuzz's subsetter, a few milliseconds and about 10 KB, and hand that to
WeasyPrint as an ``@font-face``. The faces are opened once per process (the
file is memory-mapped by HarfBuzz) and reused.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import cffi

__all__ = ["FontFace", "FontUnavailable", "find_face", "subset_font"]

_ffi = cffi.FFI()
_ffi.cdef(
    """
    typedef struct hb_blob_t hb_blob_t;
    typedef struct hb_face_t hb_face_t;
    typedef struct hb_set_t hb_set_t;
    typedef struct hb_subset_input_t hb_subset_input_t;
    typedef uint32_t hb_codepoint_t;
    typedef uint32_t hb_tag_t;
    hb_blob_t *hb_blob_create_from_file_or_fail(const char *file_name);
    void hb_blob_destroy(hb_blob_t *blob);
    const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
    hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
    void hb_face_destroy(hb_face_t *face);
    hb_blob_t *hb_face_reference_blob(hb_face_t *face);
    unsigned int hb_face_get_glyph_count(const hb_face_t *face);
    void hb_set_add(hb_set_t *set, hb_codepoint_t codepoint);
    hb_tag_t hb_tag_from_string(const char *str, int len);

    hb_subset_input_t *hb_subset_input_create_or_fail(void);
    void hb_subset_input_destroy(hb_subset_input_t *input);
    hb_set_t *hb_subset_input_unicode_set(hb_subset_input_t *input);
    hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
    void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned value);
    hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);

    typedef struct _FcPattern FcPattern;
    typedef struct _FcConfig FcConfig;
    typedef int FcBool;
    typedef unsigned char FcChar8;
    typedef enum { FcMatchPattern, FcMatchFont, FcMatchScan } FcMatchKind;
    typedef enum { FcResultMatch, FcResultNoMatch, FcResultTypeMismatch,
                   FcResultNoId, FcResultOutOfMemory } FcResult;
    FcPattern *FcNameParse(const FcChar8 *name);
    FcBool FcConfigSubstitute(FcConfig *config, FcPattern *p, FcMatchKind kind);
    void FcDefaultSubstitute(FcPattern *pattern);
    FcPattern *FcFontMatch(FcConfig *config, FcPattern *p, FcResult *result);
    FcResult FcPatternGetString(const FcPattern *p, const char *object, int n, FcChar8 **s);
    FcResult FcPatternGetInteger(const FcPattern *p, const char *object, int n, int *i);
    void FcPatternDestroy(FcPattern *p);
    """
)

_HB_SUBSET_SETS_DROP_TABLE_TAG = 3
_HB_SUBSET_FLAGS_NO_HINTING = 0x1
# Shaping tables (WeasyPrint drops them too), vertical metrics and signatures:
# a certificate is set horizontally with plain glyphs.
_DROP_TABLES = (b"GSUB", b"GPOS", b"BASE", b"JSTF", b"DSIG", b"VORG", b"vhea", b"vmtx")


class FontUnavailable(RuntimeError):
    """HarfBuzz's subsetter or fontconfig is missing, or the font is not installed."""


def _open(*names: str) -> Any:
    for name in names:
        try:
            return _ffi.dlopen(name)
        except OSError:
            continue
    return None


_harfbuzz = _open("libharfbuzz.so.0", "libharfbuzz.0.dylib", "libharfbuzz-0.dll")
_subset = _open("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib", "libharfbuzz-subset-0.dll")
_fontconfig = _open("libfontconfig.so.1", "libfontconfig.1.dylib", "libfontconfig-1.dll")


@dataclass(frozen=True)
class FontFace:
    """One face of an installed font file (a .ttc holds several)."""

    path: str
    index: int
    family: str


def find_face(pattern: str) -> FontFace:
    """The installed face fontconfig picks for ``pattern``, e.g. ``Noto Sans CJK SC:bold``.

    Raises :class:`FontUnavailable` when fontconfig would substitute another family.
    """
    if _fontconfig is None:
        raise FontUnavailable("fontconfig is not installed")
    wanted = pattern.split(":", 1)[0].strip()
    query = _fontconfig.FcNameParse(pattern.encode("utf-8"))
    try:
        _fontconfig.FcConfigSubstitute(_ffi.NULL, query, 0)
        _fontconfig.FcDefaultSubstitute(query)
        result = _ffi.new("FcResult *")
        match = _fontconfig.FcFontMatch(_ffi.NULL, query, result)
    finally:
        _fontconfig.FcPatternDestroy(query)
    if match == _ffi.NULL:
        raise FontUnavailable(f"no font matches {pattern!r}")
    try:
        text = _ffi.new("FcChar8 **")
        number = _ffi.new("int *")
        families = []
        position = 0
        while _fontconfig.FcPatternGetString(match, b"family", position, text) == 0:
            families.append(_ffi.string(text[0]).decode("utf-8"))
            position += 1
        if wanted and wanted.lower() not in (f.lower() for f in families):
            raise FontUnavailable(
                f"font {wanted!r} is not installed (fontconfig offers {families})"
            )
        if _fontconfig.FcPatternGetString(match, b"file", 0, text) != 0:
            raise FontUnavailable(f"font {wanted!r} has no file")
        path = _ffi.string(text[0]).decode("utf-8")
        index = number[0] if _fontconfig.FcPatternGetInteger(match, b"index", 0, number) == 0 else 0
    finally:
        _fontconfig.FcPatternDestroy(match)
    return FontFace(path, index, wanted or families[0])


_faces: dict[tuple[str, int], Any] = {}
_lock = threading.Lock()


def _hb_face(face: FontFace) -> Any:
    key = (face.path, face.index)
    found = _faces.get(key)
    if found is None:
        blob = _harfbuzz.hb_blob_create_from_file_or_fail(face.path.encode("utf-8"))
        if blob == _ffi.NULL:
            raise FontUnavailable(f"cannot read font file {face.path}")
        # The face keeps its own reference to the blob, for the life of the process.
        found = _harfbuzz.hb_face_create(blob, face.index)
        _harfbuzz.hb_blob_destroy(blob)
        if _harfbuzz.hb_face_get_glyph_count(found) == 0:
            raise FontUnavailable(f"{face.path} has no face {face.index}")
        _faces[key] = found
    return found


def subset_font(face: FontFace, text: str) -> bytes:
    """An OpenType font with only the glyphs ``text`` needs (compact glyph ids)."""
    if _harfbuzz is None or _subset is None:
        raise FontUnavailable("HarfBuzz's subsetter (libharfbuzz-subset0) is not installed")
    with _lock:
        source = _hb_face(face)
        request = _subset.hb_subset_input_create_or_fail()
        if request == _ffi.NULL:
            raise FontUnavailable("HarfBuzz could not start a subset")
        try:
            unicodes = _subset.hb_subset_input_unicode_set(request)
            for codepoint in sorted({ord(char) for char in text}):
                _harfbuzz.hb_set_add(unicodes, codepoint)
            dropped = _subset.hb_subset_input_set(request, _HB_SUBSET_SETS_DROP_TABLE_TAG)
            for tag in _DROP_TABLES:
                _harfbuzz.hb_set_add(dropped, _harfbuzz.hb_tag_from_string(tag, len(tag)))
            _subset.hb_subset_input_set_flags(request, _HB_SUBSET_FLAGS_NO_HINTING)
            result = _subset.hb_subset_or_fail(source, request)
        finally:
            _subset.hb_subset_input_destroy(request)
        if result == _ffi.NULL:
            raise FontUnavailable(f"HarfBuzz could not subset {face.family}")
        try:
            blob = _harfbuzz.hb_face_reference_blob(result)
            length = _ffi.new("unsigned int *")
            data = _harfbuzz.hb_blob_get_data(blob, length)
            font = bytes(_ffi.buffer(data, length[0]))
            _harfbuzz.hb_blob_destroy(blob)
        finally:
            _harfbuzz.hb_face_destroy(result)
    if not font:
        raise FontUnavailable(f"HarfBuzz returned an empty subset of {face.family}")
    return font
