#include "ledger/core/tree_head.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tp/signing/hmac.h"

namespace tp::ledger {

namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

void put_u64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_bytes(std::string& out, std::string_view b) {
  const auto n = static_cast<uint32_t>(b.size());
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out.append(b);
}

Result<std::string> raw_public_key(EVP_PKEY* key) {
  size_t len = 32;
  std::string out(32, '\0');
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != 32)
    return make_error(ErrorCode::kInvalidArgument, "not an Ed25519 key: " + openssl_error());
  return out;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Status write_file(const std::string& path, const std::string& text, mode_t mode) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return make_error(ErrorCode::kUnavailable, "cannot write " + tmp);
    out << text;
    if (!out.flush()) return make_error(ErrorCode::kUnavailable, "cannot write " + tmp);
  }
  if (::chmod(tmp.c_str(), mode) != 0)
    return make_error(ErrorCode::kUnavailable, "chmod " + tmp + ": " + std::strerror(errno));
  std::filesystem::rename(tmp, path, ec);
  if (ec) return make_error(ErrorCode::kUnavailable, "rename " + tmp + ": " + ec.message());
  return ok();
}

}  // namespace

std::string tree_head_message(const SignedTreeHead& h) {
  std::string out;
  out.reserve(96 + h.key_id.size());
  put_bytes(out, kTreeHeadTag);
  put_u64(out, h.tree_size);
  put_bytes(out, to_bytes(h.root));
  put_u64(out, static_cast<uint64_t>(h.timestamp_ns));
  put_bytes(out, h.key_id);
  return out;
}

std::string key_id_for(std::string_view public_key) {
  return std::string(kTreeHeadAlgorithm) + ":" +
         signing::to_hex(signing::sha256(public_key)).substr(0, 16);
}

Result<std::string> parse_public_key(std::string_view text) {
  std::string trimmed(text);
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
    trimmed.pop_back();
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front())))
    trimmed.erase(trimmed.begin());
  if (trimmed.starts_with("-----BEGIN PUBLIC KEY-----")) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(trimmed.data(), static_cast<int>(trimmed.size())));
    Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) return make_error(ErrorCode::kInvalidArgument, "bad PEM public key: " + openssl_error());
    if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519)
      return make_error(ErrorCode::kInvalidArgument, "the public key is not an Ed25519 key");
    return raw_public_key(key.get());
  }
  auto raw = signing::from_hex(trimmed);
  if (!raw || raw->size() != 32)
    return make_error(ErrorCode::kInvalidArgument,
                      "a public key must be a PEM \"BEGIN PUBLIC KEY\" block or 64 hex digits");
  return *raw;
}

Result<std::string> read_public_key_file(const std::string& path) {
  auto text = read_file(path);
  if (!text) return text;
  auto key = parse_public_key(*text);
  if (!key) return make_error(key.error().code, path + ": " + key.error().message);
  return key;
}

std::string public_key_pem(std::string_view raw) {
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                       reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  if (!key) return "";
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

Status verify_tree_head(const SignedTreeHead& h, std::string_view public_key) {
  if (h.key_id != key_id_for(public_key))
    return make_error(ErrorCode::kPermissionDenied,
                      "tree head of size " + std::to_string(h.tree_size) + " is signed by key " +
                          h.key_id + ", not by the trusted key " + key_id_for(public_key));
  Pkey key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(public_key.data()),
      public_key.size()));
  if (!key) return make_error(ErrorCode::kInvalidArgument, "bad Ed25519 public key");
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const std::string message = tree_head_message(h);
  const bool good =
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(h.signature.data()),
                       h.signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) == 1;
  ERR_clear_error();
  if (!good)
    return make_error(ErrorCode::kPermissionDenied,
                      "tree head of size " + std::to_string(h.tree_size) +
                          ": the signature does not verify with key " + h.key_id);
  return ok();
}

struct TreeHeadSigner::Key {
  Pkey pkey;
};

TreeHeadSigner::TreeHeadSigner(std::unique_ptr<Key> key) : key_(std::move(key)) {
  public_key_ = raw_public_key(key_->pkey.get()).value_or("");
  key_id_ = key_id_for(public_key_);
}
TreeHeadSigner::TreeHeadSigner(TreeHeadSigner&&) noexcept = default;
TreeHeadSigner& TreeHeadSigner::operator=(TreeHeadSigner&&) noexcept = default;
TreeHeadSigner::~TreeHeadSigner() = default;

Result<TreeHeadSigner> TreeHeadSigner::from_private_key_pem(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Pkey pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!pkey) return make_error(ErrorCode::kInvalidArgument, "bad PEM private key: " + openssl_error());
  if (EVP_PKEY_get_id(pkey.get()) != EVP_PKEY_ED25519)
    return make_error(ErrorCode::kInvalidArgument, "the private key is not an Ed25519 key");
  return TreeHeadSigner(std::make_unique<Key>(Key{std::move(pkey)}));
}

Result<TreeHeadSigner> TreeHeadSigner::from_seed(std::string_view seed) {
  Pkey pkey(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  if (!pkey) return make_error(ErrorCode::kInvalidArgument, "bad Ed25519 seed: " + openssl_error());
  return TreeHeadSigner(std::make_unique<Key>(Key{std::move(pkey)}));
}

Result<TreeHeadSigner> TreeHeadSigner::generate() {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    return make_error(ErrorCode::kInternal, "Ed25519 key generation failed: " + openssl_error());
  return TreeHeadSigner(std::make_unique<Key>(Key{Pkey(raw)}));
}

Result<TreeHeadSigner> TreeHeadSigner::load_or_create(const std::string& path, bool create) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (!create)
      return make_error(ErrorCode::kNotFound,
                        "tree head key " + path + " does not exist (tree_heads.create_key is off)");
    auto fresh = generate();
    if (!fresh) return fresh;
    if (auto s = write_file(path, fresh->private_key_pem(), 0600); !s) return std::unexpected(s.error());
    if (auto s = write_file(path + ".pub", public_key_pem(fresh->public_key()), 0644); !s)
      return std::unexpected(s.error());
    return fresh;
  }
  auto pem = read_file(path);
  if (!pem) return std::unexpected(pem.error());
  auto signer = from_private_key_pem(*pem);
  if (!signer) return make_error(signer.error().code, path + ": " + signer.error().message);
  return signer;
}

std::string TreeHeadSigner::private_key_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key_->pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

SignedTreeHead TreeHeadSigner::sign(uint64_t tree_size, const Digest& root,
                                    int64_t timestamp_ns) const {
  SignedTreeHead h{.tree_size = tree_size, .root = root, .timestamp_ns = timestamp_ns,
                   .key_id = key_id_, .signature = {}};
  const std::string message = tree_head_message(h);
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t len = 64;
  h.signature.assign(64, '\0');
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(h.signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    // Signing with a valid in-memory key cannot fail short of memory exhaustion.
    std::fprintf(stderr, "tp::ledger: Ed25519 signing failed: %s\n", openssl_error().c_str());
    std::abort();
  }
  h.signature.resize(len);
  return h;
}

}  // namespace tp::ledger
