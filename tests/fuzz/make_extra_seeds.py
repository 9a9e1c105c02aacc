#!/usr/bin/env python3
"""Writes the seed corpora of the s3_xml and type_oid_patcher fuzz targets (input layouts:
s3_xml_fuzzer.cc, type_oid_patcher_fuzzer.cc).

    tests/fuzz/make_extra_seeds.py tests/fuzz/corpus

The format targets' seeds come from pgark_make_fuzz_seeds (make_fuzz_seeds.cc); the
binary_to_text seeds were written by the export module's author.
"""
import os
import struct
import sys

def response(status_selector, body):
    return bytes([status_selector]) + struct.pack(">H", len(body)) + body


def s3_xml_seeds():
    listing = (b'<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><IsTruncated>true</IsTruncated>'
               b'<Contents><Key>prefix/daily/a.pgark</Key><Size>123</Size>'
               b'<LastModified>2026-11-24T06:00:00.000Z</LastModified></Contents>'
               b'<Contents><Key>prefix/daily/b&amp;c.pgark</Key><Size>7</Size></Contents>'
               b'<NextContinuationToken>tok1</NextContinuationToken></ListBucketResult>')
    last = (b'<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>prefix/weekly/z.pgark'
            b'</Key><Size>0</Size><LastModified>2026-11-23T00:00:00Z</LastModified></Contents></ListBucketResult>')
    error = (b'<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.'
             b'</Message><RequestId>1</RequestId></Error>')
    initiate = b'<InitiateMultipartUploadResult><UploadId>up-1&lt;2&gt;</UploadId></InitiateMultipartUploadResult>'
    complete = b'<CompleteMultipartUploadResult><ETag>"abc-3"</ETag></CompleteMultipartUploadResult>'
    copy = b'<CopyObjectResult><ETag>"e"</ETag><LastModified>2026-11-24T06:00:00Z</LastModified></CopyObjectResult>'
    return {
        "list_two_pages": bytes([0]) + response(0, listing) + response(0, last),
        "list_error_then_ok": bytes([0]) + response(11, error) + response(0, last),
        "stat": bytes([1]) + response(0, b""),
        "stat_missing": bytes([1]) + response(5, b""),
        "multipart_upload": bytes([2]) + response(0, initiate) + response(0, b"") + response(0, b"")
                            + response(0, b"") + response(0, complete),
        "complete_with_error_body": bytes([2]) + response(0, initiate) + response(0, b"") + response(0, b"")
                                    + response(0, b"") + response(0, error),
        "remove": bytes([3]) + response(13, b""),
        "copy": bytes([4]) + response(0, b"") + response(0, copy),
        "read": bytes([5]) + response(0, b"") + response(4, b"0123456789abcdef"),
    }


def type_oid_patcher_seeds():
    def i32(v):
        return struct.pack(">i", v)

    def val(b):
        return i32(-1) if b is None else i32(len(b)) + b

    def array(oid, dims, elems):
        out = i32(len(dims)) + i32(1 if None in elems else 0) + i32(oid)
        for d in dims:
            out += i32(d) + i32(1)
        return out + b"".join(val(e) for e in elems)

    def composite(fields):
        return i32(len(fields)) + b"".join(i32(oid) + val(v) for oid, v in fields)

    pair = composite([(16400, b"ok"), (23, i32(7))])
    rng = b"\x06" + val(pair) + val(pair)
    wrapper = composite([(16399, array(16400, [2], [b"ok", None])), (16419, array(16420, [1], [i32(5)])),
                         (16440, rng)])
    multirange = i32(2) + val(rng) + val(b"\x01")
    row = struct.pack(">h", 3) + val(wrapper) + val(multirange) + val(array(16400, [2, 2], [b"a", b"b", None, b""]))
    empty = struct.pack(">h", 3) + val(None) + val(i32(0)) + val(array(16400, [], []))
    return {"one_row_whole": bytes([255]) + row, "rows_by_3": bytes([3]) + row + empty,
            "bytewise_with_trailer": bytes([0]) + empty + row + struct.pack(">h", -1)}


def main():
    corpus = sys.argv[1]
    for target, seeds in (("s3_xml", s3_xml_seeds()), ("type_oid_patcher", type_oid_patcher_seeds())):
        os.makedirs(os.path.join(corpus, target), exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(corpus, target, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
