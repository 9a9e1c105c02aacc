// The signer against AWS's published Signature Version 4 test vectors: the generic test
// suite (credentials AKIDEXAMPLE, service "service", 2015-08-30) and the S3 examples of
// "Authenticating Requests: Using the Authorization Header" (AKIAIOSFODNN7EXAMPLE, 2013-05-24).
#include "engine/storage/s3/sigv4.h"

#include "engine/storage/s3/md5.h"
#include "gtest/gtest.h"

namespace pgark::storage::s3 {
namespace {

constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigningKeyInfo SuiteKey() {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service"};
}
SigningKeyInfo S3ExampleKey() {
  return {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"};
}

SigningRequest SuiteRequest(const std::string& method) {
  SigningRequest r;
  r.method = method;
  r.encoded_path = "/";
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_hash = kEmptySha256;
  return r;
}

std::string Prefix(const std::string& scope, const std::string& signed_headers) {
  return "AWS4-HMAC-SHA256 Credential=" + scope + ", SignedHeaders=" + signed_headers +
         ", Signature=";
}
const std::string kSuiteScope = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
const std::string kS3Scope = "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request";

TEST(SigV4Test, GetVanilla) {
  SigningRequest r = SuiteRequest("GET");
  std::string signed_headers;
  EXPECT_EQ(Sha256Hex(CanonicalRequest(r, &signed_headers)),
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(AuthorizationHeader(SuiteKey(), "20150830T123600Z", r),
            Prefix(kSuiteScope, "host;x-amz-date") +
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, PostVanilla) {
  EXPECT_EQ(AuthorizationHeader(SuiteKey(), "20150830T123600Z", SuiteRequest("POST")),
            Prefix(kSuiteScope, "host;x-amz-date") +
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

TEST(SigV4Test, GetVanillaQueryOrderKeyCase) {
  SigningRequest r = SuiteRequest("GET");
  r.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  std::string signed_headers;
  EXPECT_EQ(Sha256Hex(CanonicalRequest(r, &signed_headers)),
            "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
  EXPECT_EQ(AuthorizationHeader(SuiteKey(), "20150830T123600Z", r),
            Prefix(kSuiteScope, "host;x-amz-date") +
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Test, PostHeaderValueCase) {
  SigningRequest r = SuiteRequest("POST");
  r.headers.emplace_back("My-Header1", "VALUE1");
  EXPECT_EQ(AuthorizationHeader(SuiteKey(), "20150830T123600Z", r),
            Prefix(kSuiteScope, "host;my-header1;x-amz-date") +
                "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d");
}

TEST(SigV4Test, GetHeaderValueTrim) {
  SigningRequest r = SuiteRequest("GET");
  r.headers.emplace_back("My-Header1", " value1");
  r.headers.emplace_back("My-Header2", "\"a   b   c\"");
  EXPECT_EQ(AuthorizationHeader(SuiteKey(), "20150830T123600Z", r),
            Prefix(kSuiteScope, "host;my-header1;my-header2;x-amz-date") +
                "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
}

TEST(SigV4Test, GetUnreservedPath) {
  SigningRequest r = SuiteRequest("GET");
  r.encoded_path =
      UriEncode("/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", false);
  EXPECT_EQ(AuthorizationHeader(SuiteKey(), "20150830T123600Z", r),
            Prefix(kSuiteScope, "host;x-amz-date") +
                "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
}

TEST(SigV4Test, S3GetObjectWithRange) {
  SigningRequest r;
  r.method = "GET";
  r.encoded_path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmptySha256},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_hash = kEmptySha256;
  EXPECT_EQ(AuthorizationHeader(S3ExampleKey(), "20130524T000000Z", r),
            Prefix(kS3Scope, "host;range;x-amz-content-sha256;x-amz-date") +
                "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, S3PutObject) {
  SigningRequest r;
  r.method = "PUT";
  r.encoded_path = UriEncode("/test$file.text", false);
  EXPECT_EQ(r.encoded_path, "/test%24file.text");
  r.payload_hash = Sha256Hex("Welcome to Amazon S3.");
  EXPECT_EQ(r.payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
               {"x-amz-date", "20130524T000000Z"},
               {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
               {"x-amz-content-sha256", r.payload_hash}};
  EXPECT_EQ(AuthorizationHeader(S3ExampleKey(), "20130524T000000Z", r),
            Prefix(kS3Scope, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class") +
                "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4Test, S3ListObjects) {
  SigningRequest r;
  r.method = "GET";
  r.encoded_path = "/";
  r.query = {{"max-keys", "2"}, {"prefix", "J"}};
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"x-amz-content-sha256", kEmptySha256},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_hash = kEmptySha256;
  EXPECT_EQ(AuthorizationHeader(S3ExampleKey(), "20130524T000000Z", r),
            Prefix(kS3Scope, "host;x-amz-content-sha256;x-amz-date") +
                "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Test, AmzDateAndUriEncode) {
  EXPECT_EQ(AmzDate(absl::FromUnixSeconds(1440938160)), "20150830T123600Z");
  EXPECT_EQ(UriEncode("a b/ü+*~", false), "a%20b/%C3%BC%2B%2A~");
  EXPECT_EQ(UriEncode("a/b", true), "a%2Fb");
}

// RFC 1321 appendix A.5 test suite.
TEST(Md5Test, Rfc1321Vectors) {
  EXPECT_EQ(HexEncode(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(HexEncode(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(HexEncode(Md5("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(HexEncode(Md5("abcdefghijklmnopqrstuvwxyz")), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(HexEncode(Md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890")),
            "57edf4a22be3c955ac49da2e2107b67a");
  EXPECT_EQ(ContentMd5(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
}

}  // namespace
}  // namespace pgark::storage::s3
