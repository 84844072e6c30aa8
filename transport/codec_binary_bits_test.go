package transport

import "testing"

// The flag bits of the documented wire format, for building payloads by
// hand in tests. TestWireBitsMatchTables checks them against the tables
// the codec walks.

// Field bits of core.Message.
const (
	mKind = 1 << iota
	mHub
	mFrom
	mInc
	mSeq
	mOp
	mOrigin
	mOriginInc
	mToInc
	mHops
	mMembers
	mItems
	mIDs
	mEntries
	mClaims
	mFull
	mResults
	mChildren
	mState
	mEpoch
	mErr
	mDigest
	mVersion
	mCount
	mAcks
	mCheckExisting
	mPartOf
	mPart
	mParts
	mHandovers
	mBusy
	mClaimDeltas
	mClaimsLen
	mClaimsHash
	mEnd
)

// Field bits of the nested structs.
const (
	memName, memInc, memStatus, memAddr, memCordoned, memCordonVer, memBeat, memSyncStamp = 1, 2, 4, 8, 16, 32, 64, 128
	memDetected, memRecovering, memEnd                                                    = 256, 512, 1024
	siMeta, siPinned, siEnd                                                               = 1, 2, 4
	spID, spKind, spParams, spRestart, spEnd                                              = 1, 2, 4, 8, 16
	rpNode, rpInc, rpEpoch, rpActive, rpEnd                                               = 1, 2, 4, 8, 16
	clID, clEpoch, clInstance, clActive, clRemoved, clEnd                                 = 1, 2, 4, 8, 16, 32
	crID, crNodes, crEpoch, crErr, crDetail, crMeta, crEnd                                = 1, 2, 4, 8, 16, 32, 64
	lcID, lcKind, lcEpoch, lcInstance, lcStatus, lcActive                                 = 1, 2, 4, 8, 16, 32
	lcEnd                                                                                 = 64
	enMeta, enEpoch, enStopped, enHolder, enBy, enPinned                                  = 1, 2, 4, 8, 16, 32
	enReason, enStoppedAt, enReplicas, enEnd                                              = 64, 128, 256, 512
	hoID, hoEpoch, hoInstance, hoState, hoShutdown, hoEnd                                 = 1, 2, 4, 8, 16, 32
)

// TestWireBitsMatchTables checks the hand-written bit constants above
// against the tables: a table reordered by mistake fails here (and in
// TestBinaryGolden).
func TestWireBitsMatchTables(t *testing.T) {
	want := map[*wireStruct][]uint64{
		wireMessage: {mKind, mHub, mFrom, mInc, mSeq, mOp, mOrigin, mOriginInc, mToInc, mHops, mMembers, mItems, mIDs,
			mEntries, mClaims, mFull, mResults, mChildren, mState, mEpoch, mErr, mDigest, mVersion, mCount, mAcks,
			mCheckExisting, mPartOf, mPart, mParts, mHandovers, mBusy, mClaimDeltas, mClaimsLen, mClaimsHash, mEnd},
		wireMember:   {memName, memInc, memStatus, memAddr, memCordoned, memCordonVer, memBeat, memSyncStamp, memDetected, memRecovering, memEnd},
		wireItem:     {siMeta, siPinned, siEnd},
		wireSpec:     {spID, spKind, spParams, spRestart, spEnd},
		wireReplica:  {rpNode, rpInc, rpEpoch, rpActive, rpEnd},
		wireClaim:    {clID, clEpoch, clInstance, clActive, clRemoved, clEnd},
		wireResult:   {crID, crNodes, crEpoch, crErr, crDetail, crMeta, crEnd},
		wireChild:    {lcID, lcKind, lcEpoch, lcInstance, lcStatus, lcActive, lcEnd},
		wireHandover: {hoID, hoEpoch, hoInstance, hoState, hoShutdown, hoEnd},
		wireEntry:    {enMeta, enEpoch, enStopped, enHolder, enBy, enPinned, enReason, enStoppedAt, enReplicas, enEnd},
	}
	for s, bits := range want {
		var got []uint64
		for _, f := range s.fields {
			if f.kind != wireInline {
				got = append(got, f.bit)
			}
		}
		got = append(got, s.end)
		if len(got) != len(bits) {
			t.Errorf("%s: %d bits in the table, %d documented", s.name, len(got), len(bits))
			continue
		}
		for i := range got {
			if got[i] != bits[i] {
				t.Errorf("%s: field %d has bit %#x, documented %#x", s.name, i, got[i], bits[i])
			}
		}
	}
}
