package core

// takes reports whether put would store e: the registry holds no entry
// of e's id, or an older version. A full sync mostly repeats versions the
// receiver holds; applyEntries skips those before copying the entry or
// looking it up again (applyEntries was 8% of
// BenchmarkSim5Nodes1000Children60s's CPU). It must agree with put's
// test: TestRegistryTakesAgreesWithPut.
func (r *registry) takes(e *Entry) bool {
	i, known := r.index[e.Spec.ID]
	if !known || !r.slots[i].entry || r.ignoreEpochs {
		return true
	}
	old := r.slots[i].rec
	return newerVersion(e.Epoch, e.Stopped, e.By, old.epoch, old.stopped, r.shapes.list[old.shape].by)
}
