package listener

import "sync"

// workers is the one worker pool of the dispatcher (deliverAll, whether the
// in-memory set or the ledger tracks the files): n goroutines that run do on each job as it comes,
// until wait. A job guards itself against panics (survive) where it has
// bookkeeping to do after one.
type workers[T any] struct {
	jobs chan T
	wg   sync.WaitGroup
}

// startWorkers starts n workers; queue jobs may wait for one unblocked.
func startWorkers[T any](n, queue int, do func(T)) *workers[T] {
	w := &workers[T]{jobs: make(chan T, queue)}
	for range n {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for j := range w.jobs {
				do(j)
			}
		}()
	}
	return w
}

// add hands a job to the next free worker.
func (w *workers[T]) add(j T) { w.jobs <- j }

// wait takes no more jobs and returns once the workers finished theirs.
func (w *workers[T]) wait() {
	close(w.jobs)
	w.wg.Wait()
}
