package mnotify

// ordered is an order-statistic tree (a treap whose nodes count their
// subtree): insertion, removal and the k-th item each cost O(log n), so a
// page anywhere in a list costs the same as the first one.
type ordered[T comparable] struct {
	root *treapNode[T]
	less func(a, b T) bool
}

type treapNode[T comparable] struct {
	item        T
	prio        uint64
	size        int
	left, right *treapNode[T]
}

func newOrdered[T comparable](less func(a, b T) bool) *ordered[T] {
	return &ordered[T]{less: less}
}

func (n *treapNode[T]) count() int {
	if n == nil {
		return 0
	}
	return n.size
}

func (n *treapNode[T]) fix() { n.size = 1 + n.left.count() + n.right.count() }

// Len is the number of items.
func (o *ordered[T]) Len() int { return o.root.count() }

// Insert adds an item. prio balances the tree: give well-spread values
// (splitmix of a sequence number), never the same for two items.
func (o *ordered[T]) Insert(item T, prio uint64) {
	o.root = o.insert(o.root, &treapNode[T]{item: item, prio: prio, size: 1})
}

func (o *ordered[T]) insert(n, nn *treapNode[T]) *treapNode[T] {
	if n == nil {
		return nn
	}
	if nn.prio > n.prio {
		nn.left, nn.right = o.split(n, nn.item)
		nn.fix()
		return nn
	}
	if o.less(nn.item, n.item) {
		n.left = o.insert(n.left, nn)
	} else {
		n.right = o.insert(n.right, nn)
	}
	n.fix()
	return n
}

// split parts n into the items before item and the others.
func (o *ordered[T]) split(n *treapNode[T], item T) (l, r *treapNode[T]) {
	if n == nil {
		return nil, nil
	}
	if o.less(n.item, item) {
		n.right, r = o.split(n.right, item)
		n.fix()
		return n, r
	}
	l, n.left = o.split(n.left, item)
	n.fix()
	return l, n
}

func merge[T comparable](l, r *treapNode[T]) *treapNode[T] {
	switch {
	case l == nil:
		return r
	case r == nil:
		return l
	case l.prio > r.prio:
		l.right = merge(l.right, r)
		l.fix()
		return l
	default:
		r.left = merge(l, r.left)
		r.fix()
		return r
	}
}

// Remove takes an item out; it reports whether it was there.
func (o *ordered[T]) Remove(item T) bool {
	var removed bool
	o.root, removed = o.remove(o.root, item)
	return removed
}

func (o *ordered[T]) remove(n *treapNode[T], item T) (*treapNode[T], bool) {
	if n == nil {
		return nil, false
	}
	var removed bool
	switch {
	case n.item == item:
		return merge(n.left, n.right), true
	case o.less(item, n.item):
		n.left, removed = o.remove(n.left, item)
	default:
		n.right, removed = o.remove(n.right, item)
	}
	n.fix()
	return n, removed
}

// At returns the k-th item, counting from 0.
func (o *ordered[T]) At(k int) T {
	n := o.root
	for n != nil {
		l := n.left.count()
		switch {
		case k < l:
			n = n.left
		case k == l:
			return n.item
		default:
			k -= l + 1
			n = n.right
		}
	}
	var zero T
	return zero
}

// Page returns up to limit items from offset, in order or, when desc, in
// reverse order.
func (o *ordered[T]) Page(offset, limit int, desc bool) []T {
	n := o.Len()
	if offset < 0 || offset >= n || limit <= 0 {
		return nil
	}
	end := min(n, offset+limit)
	out := make([]T, 0, end-offset)
	for k := offset; k < end; k++ {
		if desc {
			out = append(out, o.At(n-1-k))
		} else {
			out = append(out, o.At(k))
		}
	}
	return out
}

// spread turns a sequence number into a well-spread treap priority
// (splitmix64), so that the tree stays balanced whatever the insertion order.
func spread(seq uint64) uint64 {
	z := seq + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
