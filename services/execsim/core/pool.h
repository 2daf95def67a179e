// A free-list allocator for the engine's node containers (order indexes,
// the id map) and its orders: single objects are recycled per type and
// thread instead of going back to malloc, which is most of the cost of a
// short-lived order. Arrays (hash buckets, vectors) go to operator new.
// Memory is bounded by the peak number of live objects of each size.
//
//   std::multimap<int64_t, LiveOrder*, std::less<>, PoolAllocator<...>> index;
//
// Thread safety: the free lists are thread_local.
#pragma once

#include <cstddef>
#include <new>

namespace tp::execsim {

template <size_t Size>
struct FreeList {
  struct Node {
    Node* next;
  };
  static Node*& head() {
    thread_local Node* h = nullptr;
    return h;
  }
  static void* get() {
    Node*& h = head();
    if (h) {
      Node* n = h;
      h = n->next;
      return n;
    }
    return ::operator new(Size < sizeof(Node) ? sizeof(Node) : Size);
  }
  static void put(void* p) {
    Node* n = static_cast<Node*>(p);
    n->next = head();
    head() = n;
  }
};

template <typename T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() noexcept = default;
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    if (n == 1) return static_cast<T*>(FreeList<sizeof(T)>::get());
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept {
    if (n == 1)
      FreeList<sizeof(T)>::put(p);
    else
      ::operator delete(p);
  }
  template <typename U>
  bool operator==(const PoolAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace tp::execsim
