package fakehttp

import (
	"slices"
	"sync"
)

// Queue is a first-in, first-out list of scripted items, such as the
// faults a test queues for a fake. It is safe for concurrent use; the
// zero value is an empty queue.
type Queue[T any] struct {
	mu    sync.Mutex
	items []T
}

// Push adds items at the end of the queue, in order.
func (q *Queue[T]) Push(items ...T) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, items...)
}

// Len returns how many items are waiting.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Clear drops every item.
func (q *Queue[T]) Clear() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = nil
}

// Pop removes and returns the first item. It returns the zero value and
// false when the queue is empty.
func (q *Queue[T]) Pop() (T, bool) { return q.PopIf(nil) }

// PopIf removes and returns the first item if match, when not nil,
// reports true for it. Otherwise it leaves the queue as it is and returns
// the zero value and false: an item that does not match holds back the
// items behind it.
func (q *Queue[T]) PopIf(match func(T) bool) (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var zero T
	if len(q.items) == 0 || (match != nil && !match(q.items[0])) {
		return zero, false
	}
	item := q.items[0]
	q.items[0] = zero
	q.items = q.items[1:]
	return item, true
}

// Take calls pick on the items in order, with the queue locked, until
// pick reports use; it returns a copy of that item and removes it from the
// queue unless pick also reports keep. pick may change the items it is
// given, for example to count down how many more times an item applies.
// Take returns the zero value and false when pick uses no item.
func (q *Queue[T]) Take(pick func(item *T) (use, keep bool)) (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.items {
		use, keep := pick(&q.items[i])
		if !use {
			continue
		}
		item := q.items[i]
		if !keep {
			q.items = slices.Delete(q.items, i, i+1)
		}
		return item, true
	}
	var zero T
	return zero, false
}
